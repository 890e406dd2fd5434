from rest_framework import serializers

from datamanagement.models import Query, QueryState, SourceVerification
from trialsite.audit import REASON_MAX_LENGTH


class QueryEventSerializer(serializers.Serializer):
    state = serializers.CharField()
    text = serializers.CharField()
    user = serializers.CharField()
    at = serializers.DateTimeField()


class QuerySerializer(serializers.ModelSerializer):
    participant = serializers.CharField(source="participant.screening_number")
    visit = serializers.CharField(source="visit.visit_code", allow_null=True, default=None)
    raised_by = serializers.CharField(source="raised_by_name")
    assignee = serializers.CharField(source="assignee.username", allow_null=True, default=None)
    thread = serializers.SerializerMethodField()

    class Meta:
        model = Query
        fields = [
            "id",
            "participant",
            "visit",
            "record_type",
            "record_id",
            "field",
            "state",
            "text",
            "latest_text",
            "raised_by",
            "raised_at",
            "assignee",
            "edit_check",
            "answer_change_id",
            "thread",
        ]

    def get_thread(self, query) -> list[dict]:
        if not self.context.get("with_thread"):
            return []
        return QueryEventSerializer(thread_of(query), many=True).data


def thread_of(query: Query) -> list[dict]:
    rows = query.history.filter(id=query.pk).select_related("history_user").order_by("history_id")
    return [
        {
            "state": row.state,
            "text": row.history_change_reason or "",
            "user": row.history_user.get_username() if row.history_user else "system",
            "at": row.history_date,
        }
        for row in rows
    ]


class QueryCreateSerializer(serializers.Serializer):
    record_type = serializers.CharField()
    record_id = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    field = serializers.CharField(required=False, allow_blank=True, default="")
    text = serializers.CharField(max_length=REASON_MAX_LENGTH)  # the reason of its history row, as on the page
    assignee = serializers.CharField(required=False, allow_blank=True, default="")
    participant = serializers.CharField(required=False, help_text="Screening number; checked against the record.")


class TextSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=REASON_MAX_LENGTH)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=REASON_MAX_LENGTH)
    override_open_queries = serializers.BooleanField(required=False, default=False)


class LockSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    scope = serializers.CharField()
    active = serializers.BooleanField()
    locked_by = serializers.CharField(source="locked_by.username")
    locked_at = serializers.DateTimeField()
    reason = serializers.CharField()


class SdvQuerySerializer(serializers.Serializer):
    participant = serializers.CharField(
        required=False, allow_blank=True, max_length=12, help_text="Screening number, e.g. SCR-001."
    )


class SdvRequestSerializer(serializers.Serializer):
    record_type = serializers.CharField(required=False)
    record_id = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    participant = serializers.CharField(required=False, help_text="With visit: verify the whole visit.")
    visit = serializers.CharField(required=False, help_text="A visit code, e.g. W4.")


class SdvSerializer(serializers.ModelSerializer):
    participant = serializers.CharField(source="participant.screening_number")
    visit = serializers.CharField(source="visit.visit_code", allow_null=True, default=None)
    verified_by = serializers.CharField(source="verified_by.username")

    class Meta:
        model = SourceVerification
        fields = [
            "record_type",
            "record_id",
            "participant",
            "visit",
            "state",
            "verified_by",
            "verified_at",
            "verified_version",
        ]


STATES = QueryState.values
