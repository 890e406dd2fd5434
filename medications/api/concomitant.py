"""REST endpoint of concomitant medications (SDTM CM)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters import rest_framework as filters
from rest_framework import serializers

from medications.models import (
    CLASS_CHOICES,
    DOSE_UNIT_CHOICES,
    FREQUENCY_CHOICES,
    ROUTE_CHOICES,
    ConcomitantMedication,
)
from medications.services import CM_FIELDS, cm_record
from subjects.models import Participant
from trialsite.audit import REASON_MAX_LENGTH
from trialsite.viewsets import ClinicalRecordViewSet, change_reason, clinical_schema


class ConcomitantMedicationSerializer(serializers.Serializer):
    """A concomitant medication. Dates are ISO partial dates (YYYY, YYYY-MM, YYYY-MM-DD); an empty start
    is "before" the collection period. Prior/concomitant, prohibited reason and deviation are derived."""

    id = serializers.IntegerField(read_only=True)
    version = serializers.IntegerField(read_only=True, help_text="Increases with every change; also the ETag.")
    participant = serializers.SlugRelatedField(slug_field="screening_number", queryset=Participant.objects.all())
    medication = serializers.CharField(max_length=200)
    medication_class = serializers.ChoiceField(choices=CLASS_CHOICES)
    indication = serializers.CharField(max_length=200)
    dose = serializers.DecimalField(max_digits=10, decimal_places=3, required=False, allow_null=True)
    dose_unit = serializers.ChoiceField(choices=DOSE_UNIT_CHOICES, required=False, allow_blank=True, default="")
    frequency = serializers.ChoiceField(choices=FREQUENCY_CHOICES, required=False, allow_blank=True, default="")
    route = serializers.ChoiceField(choices=ROUTE_CHOICES)
    start_date = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    end_date = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    ongoing = serializers.BooleanField(required=False, default=False)
    prior_or_concomitant = serializers.CharField(read_only=True)
    prohibited_reason = serializers.CharField(read_only=True)
    deviation_due = serializers.BooleanField(read_only=True)
    reason_for_change = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=REASON_MAX_LENGTH
    )

    def _save(self, *, participant, data, record, reason):
        try:
            return cm_record(
                participant=participant,
                user=self.context["request"].user,
                record=record,
                reason=reason,
                expected_version=self.context.get("expected_version"),
                **{name: data.get(name) for name in CM_FIELDS},
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error

    def create(self, validated_data):
        return self._save(participant=validated_data["participant"], data=validated_data, record=None, reason=None)

    def update(self, instance, validated_data):
        reason = change_reason(instance, validated_data)
        data = {name: getattr(instance, name) for name in CM_FIELDS}
        data.update({k: v for k, v in validated_data.items() if k in CM_FIELDS and k in self.initial_data})
        return self._save(participant=instance.participant, data=data, record=instance, reason=reason)


class ConcomitantMedicationFilter(filters.FilterSet):
    participant = filters.CharFilter(field_name="participant__screening_number")

    class Meta:
        model = ConcomitantMedication
        fields = ["participant", "prior_or_concomitant", "deviation_due"]


@clinical_schema(ConcomitantMedicationSerializer)
class ConcomitantMedicationViewSet(ClinicalRecordViewSet):
    """Concomitant medications: GET (view clinical), POST and PATCH with `reason_for_change` (enter data)."""

    serializer_class = ConcomitantMedicationSerializer
    filterset_class = ConcomitantMedicationFilter
    queryset = ConcomitantMedication.objects.select_related("participant").order_by("participant__screening_seq", "id")
