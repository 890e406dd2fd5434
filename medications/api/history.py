"""REST endpoint of the medical history (SDTM MH)."""

from django_filters import rest_framework as filters
from rest_framework import serializers

from medications import history
from medications.api.records import RecordServiceSerializer
from medications.models import MedicalHistory
from medications.services import MH_FIELDS, mh_record
from subjects.models import Participant
from trialsite.audit import REASON_MAX_LENGTH
from trialsite.viewsets import ClinicalRecordViewSet, clinical_schema


class MedicalHistorySerializer(RecordServiceSerializer):
    """An item of medical history; dates are ISO partial dates. Recording a prior therapy derives the
    screening's washout exclusions again (PROTOCOL §10)."""

    id = serializers.IntegerField(read_only=True)
    version = serializers.IntegerField(read_only=True, help_text="Increases with every change; also the ETag.")
    participant = serializers.SlugRelatedField(slug_field="screening_number", queryset=Participant.objects.all())
    category = serializers.ChoiceField(choices=history.CATEGORIES)
    term = serializers.CharField(max_length=200)
    psoriasis_type = serializers.ChoiceField(
        choices=history.PSORIASIS_TYPES, required=False, allow_blank=True, default=""
    )
    therapy_type = serializers.ChoiceField(choices=history.THERAPY_TYPES, required=False, allow_blank=True, default="")
    start_date = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    end_date = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    ongoing = serializers.BooleanField(required=False, default=False)
    reason_for_change = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=REASON_MAX_LENGTH
    )

    fields_of_service = MH_FIELDS

    def service(self, **kwargs):
        return mh_record(**kwargs)


class MedicalHistoryFilter(filters.FilterSet):
    participant = filters.CharFilter(field_name="participant__screening_number")

    class Meta:
        model = MedicalHistory
        fields = ["participant", "category", "therapy_type"]


@clinical_schema(MedicalHistorySerializer)
class MedicalHistoryViewSet(ClinicalRecordViewSet):
    """Medical history: GET (view clinical), POST and PATCH with `reason_for_change` (enter data)."""

    serializer_class = MedicalHistorySerializer
    filterset_class = MedicalHistoryFilter
    queryset = MedicalHistory.objects.select_related("participant").order_by("participant__screening_seq", "id")
