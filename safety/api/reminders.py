"""GET /api/v1/reminders/ and POST /api/v1/reminders/{id}/acknowledge/ (coordinators, investigators)."""

from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from safety import reminders
from safety.models import Reminder
from trialsite.roles import Cap

BOOLEAN_PARAM = {"true": True, "1": True, "false": False, "0": False}


class ReminderSerializer(serializers.ModelSerializer):
    participant = serializers.CharField(source="participant.screening_number", read_only=True)
    subject_id = serializers.CharField(source="participant.subject_label", read_only=True)
    visit_code = serializers.SerializerMethodField()
    ae_number = serializers.SerializerMethodField()
    acknowledged = serializers.BooleanField(read_only=True)

    class Meta:
        model = Reminder
        fields = [
            "id",
            "kind",
            "participant",
            "subject_id",
            "visit_code",
            "ae_number",
            "due_date",
            "message",
            "created_at",
            "acknowledged",
        ]
        read_only_fields = fields

    def get_visit_code(self, reminder) -> str | None:
        return reminder.visit.visit_code if reminder.visit_id else None

    def get_ae_number(self, reminder) -> int | None:
        return reminder.adverse_event.ae_number if reminder.adverse_event_id else None


class ReminderViewSet(viewsets.ReadOnlyModelViewSet):
    """Reminders of the site, each with whether the calling user acknowledged it.

    Filters: `acknowledged=true|false`, `kind=<reminder kind>`.
    """

    serializer_class = ReminderSerializer
    capabilities_by_action = {
        "list": Cap.VIEW_REMINDERS,
        "retrieve": Cap.VIEW_REMINDERS,
        "acknowledge": Cap.VIEW_REMINDERS,
    }

    def get_queryset(self):
        params = self.request.query_params
        errors = {}
        acknowledged = params.get("acknowledged")
        if acknowledged is not None and acknowledged.lower() not in BOOLEAN_PARAM:
            errors["acknowledged"] = ["Use true or false."]
        kind = params.get("kind") or None
        if kind is not None and kind not in Reminder.Kind.values:
            errors["kind"] = [f"Unknown kind; one of {', '.join(Reminder.Kind.values)}."]
        if errors:
            raise serializers.ValidationError(errors)
        return reminders.reminders_for(
            self.request.user,
            acknowledged=None if acknowledged is None else BOOLEAN_PARAM[acknowledged.lower()],
            kind=kind,
        )

    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        reminder = self.get_object()
        reminders.reminder_acknowledge(reminder=reminder, user=request.user)
        reminder.acknowledged = True
        return Response(self.get_serializer(reminder).data)


def register(router) -> list:
    router.register("reminders", ReminderViewSet, basename="reminder")
    return []
