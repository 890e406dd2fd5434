"""Serializers of the subjects API: they parse and format only; the services decide."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from subjects import eligibility, schedule, services
from subjects.models import Ethnicity, Participant, Race, Screening, Sex, Study, Visit, VisitDefinition
from trialsite.audit import REASON_MAX_LENGTH


class ReasonField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("max_length", REASON_MAX_LENGTH)
        kwargs.setdefault("help_text", _("Why existing data is changed (required for every change after first save)."))
        super().__init__(**kwargs)


class ParticipantSerializer(serializers.ModelSerializer):
    race = serializers.ChoiceField(
        choices=Race.choices, allow_blank=True, read_only=True, help_text=_("Blank: not collected.")
    )
    ethnicity = serializers.ChoiceField(
        choices=Ethnicity.choices, allow_blank=True, read_only=True, help_text=_("Blank: not collected.")
    )
    eligible = serializers.SerializerMethodField()
    next_action = serializers.SerializerMethodField()
    subject_label = serializers.CharField(read_only=True)

    class Meta:
        model = Participant
        fields = [
            "screening_number",
            "version",
            "subject_id",
            "subject_label",
            "usubjid",
            "site_id",
            "initials",
            "sex",
            "date_of_birth",
            "race",
            "ethnicity",
            "consent_date",
            "consent_version",
            "status",
            "eligible",
            "enrolled_at",
            "day1_date",
            "baseline_pasi",
            "withdrawal_date",
            "withdrawal_reason",
            "on_safety_hold",
            "next_action",
        ]
        read_only_fields = fields

    def get_eligible(self, participant) -> bool | None:
        screening = services.screening_of(participant)
        return None if screening is None else screening.eligible

    def get_next_action(self, participant) -> str:
        return services.next_action(participant, visits=list(participant.visits.all()))


class ParticipantRegisterSerializer(serializers.Serializer):
    initials = serializers.CharField(max_length=4)
    sex = serializers.ChoiceField(choices=Sex.choices)
    date_of_birth = serializers.DateField()
    race = serializers.ChoiceField(choices=Race.choices, required=False, allow_blank=True, help_text=_("Optional."))
    ethnicity = serializers.ChoiceField(
        choices=Ethnicity.choices, required=False, allow_blank=True, help_text=_("Optional.")
    )
    consent_date = serializers.DateField()
    consent_version = serializers.CharField(max_length=20)
    site_id = serializers.CharField(max_length=4, required=False)


class ParticipantUpdateSerializer(serializers.Serializer):
    initials = serializers.CharField(max_length=4, required=False)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False)
    date_of_birth = serializers.DateField(required=False)
    race = serializers.ChoiceField(choices=Race.choices, required=False, allow_blank=True)
    ethnicity = serializers.ChoiceField(choices=Ethnicity.choices, required=False, allow_blank=True)
    consent_date = serializers.DateField(required=False)
    consent_version = serializers.CharField(max_length=20, required=False)
    reason_for_change = ReasonField()


class ScreeningSerializer(serializers.ModelSerializer):
    failed_criteria_labels = serializers.SerializerMethodField()
    investigator_signoff_by = serializers.SerializerMethodField(help_text=_("Username of the signing investigator."))
    investigator_signoff_at = serializers.SerializerMethodField(help_text=_("When eligibility was signed off (UTC)."))
    signoff_meaning = serializers.SerializerMethodField(help_text=_("The meaning of the sign-off signature."))

    class Meta:
        model = Screening
        fields = [
            "version",
            *services.SCREENING_FIELDS,
            "screening_pasi",
            "eligible",
            "failed_criteria",
            "failed_criteria_labels",
            "investigator_signoff_by",
            "investigator_signoff_at",
            "signoff_meaning",
        ]
        read_only_fields = fields

    def _signoff(self, screening):
        if not hasattr(screening, "_signoff"):
            screening._signoff = services.eligibility_signature(screening)
        return screening._signoff

    def get_investigator_signoff_by(self, screening) -> str | None:
        signoff = self._signoff(screening)
        return signoff.signer.get_username() if signoff else None

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_investigator_signoff_at(self, screening):
        signoff = self._signoff(screening)
        return serializers.DateTimeField().to_representation(signoff.signed_at) if signoff else None

    def get_signoff_meaning(self, screening) -> str:
        signoff = self._signoff(screening)
        return signoff.get_meaning_display() if signoff else ""

    def get_failed_criteria_labels(self, screening) -> list[str]:
        return services.criterion_labels(screening.failed_criteria)


class ScreeningWriteSerializer(serializers.Serializer):
    screening_date = serializers.DateField()
    planned_day1_date = serializers.DateField()
    weight_kg = serializers.DecimalField(max_digits=5, decimal_places=1)
    height_cm = serializers.DecimalField(max_digits=4, decimal_places=1)
    bsa_percent = serializers.DecimalField(max_digits=4, decimal_places=1)
    reason_for_change = ReasonField()

    def get_fields(self):
        fields = super().get_fields()
        for key, label in eligibility.EXCLUSION_ITEMS:
            fields[key] = serializers.BooleanField(help_text=label)
        return fields


class SignoffSerializer(serializers.Serializer):
    password = serializers.CharField(write_only=True, style={"input_type": "password"}, trim_whitespace=False)
    otp = serializers.CharField(
        write_only=True, required=False, allow_blank=True, help_text=_("The authenticator code, if enrolled.")
    )


class WithdrawSerializer(serializers.Serializer):
    withdrawal_date = serializers.DateField()
    withdrawal_reason = serializers.CharField()


class VisitSerializer(serializers.ModelSerializer):
    study_day = serializers.SerializerMethodField(help_text=_("Study day of the actual date, else of the target date."))

    class Meta:
        model = Visit
        fields = [
            "visit_code",
            "version",
            "visitnum",
            "target_date",
            "window_start",
            "window_end",
            "actual_date",
            "status",
            "study_day",
            "not_done_reason",
            "deviation_reason",
        ]
        read_only_fields = fields

    def get_study_day(self, visit) -> int | None:
        on = visit.actual_date or visit.target_date
        return schedule.study_day(on, visit.participant.day1_date) if on else None


class VisitUpdateSerializer(serializers.Serializer):
    actual_date = serializers.DateField(required=False, allow_null=True)
    not_done_reason = serializers.CharField(required=False, allow_blank=True)
    deviation_reason = serializers.CharField(required=False, allow_blank=True)
    reason_for_change = ReasonField()


class VisitDefinitionSerializer(serializers.ModelSerializer):
    class Meta:
        model = VisitDefinition
        fields = ["code", "visitnum", "week", "window_before_days", "window_after_days", "dosing"]
        read_only_fields = fields


class StudySerializer(serializers.ModelSerializer):
    visit_schedule = VisitDefinitionSerializer(source="visit_definitions", many=True, read_only=True)
    enrolled_count = serializers.SerializerMethodField()

    class Meta:
        model = Study
        fields = ["study_id", "registry_id", "version", *services.STUDY_FIELDS, "enrolled_count", "visit_schedule"]
        read_only_fields = fields

    def get_enrolled_count(self, study) -> int:
        return services.enrolled_count()


class StudyUpdateSerializer(serializers.ModelSerializer):
    reason_for_change = ReasonField()

    class Meta:
        model = Study
        fields = [*services.STUDY_FIELDS, "reason_for_change"]
