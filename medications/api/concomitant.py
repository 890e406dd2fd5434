"""REST endpoint of concomitant medications (SDTM CM)."""

from django_filters import rest_framework as filters
from rest_framework import serializers

from medications.api.records import RecordServiceSerializer
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
from trialsite.viewsets import ClinicalRecordViewSet, clinical_schema


class ConcomitantMedicationSerializer(RecordServiceSerializer):
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

    fields_of_service = CM_FIELDS

    def service(self, **kwargs):
        return cm_record(**kwargs)


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
