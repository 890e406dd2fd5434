from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from assessments import pasi
from assessments.efficacy import efficacy, region_subtotals
from assessments.models import PasiAssessment
from assessments.services import pasi_save
from subjects.models import Participant
from trialsite.audit import REASON_MAX_LENGTH
from trialsite.viewsets import ClinicalRecordViewSet, change_reason, clinical_schema, visit_of

AREA_FIELDS = ("area_percent", "area_score")


class PasiAssessmentSerializer(serializers.Serializer):
    """CRF PASI. `pasi_total`, subtotals, improvement and responder flags are derived (read-only)."""

    id = serializers.IntegerField(read_only=True)
    version = serializers.IntegerField(
        read_only=True, help_text=gettext_lazy("Increases with every change; also the ETag.")
    )
    participant = serializers.SlugRelatedField(slug_field="screening_number", queryset=Participant.objects.all())
    visit_code = serializers.CharField(source="visit.visit_code")
    assessment_date = serializers.DateField()
    bsa_percent = serializers.DecimalField(
        max_digits=None, decimal_places=None, required=False, allow_null=True, coerce_to_string=True
    )
    assessor = serializers.CharField(source="assessor.username", read_only=True)
    pasi_total = serializers.DecimalField(max_digits=3, decimal_places=1, read_only=True)
    region_subtotals = serializers.SerializerMethodField()
    improvement_percent = serializers.SerializerMethodField(
        help_text=gettext_lazy("Percent, one decimal; null when undefined")
    )
    pasi50 = serializers.SerializerMethodField()
    pasi75 = serializers.SerializerMethodField()
    pasi90 = serializers.SerializerMethodField()
    pasi100 = serializers.SerializerMethodField()
    reason_for_change = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=REASON_MAX_LENGTH
    )

    def get_fields(self):
        fields = super().get_fields()
        for region in pasi.REGIONS:
            for item in pasi.ITEMS:
                fields[f"{region}_{item}"] = serializers.IntegerField()
            fields[f"{region}_area_percent"] = serializers.DecimalField(
                max_digits=None, decimal_places=None, required=False, allow_null=True
            )
            fields[f"{region}_area_score"] = serializers.IntegerField(required=False, allow_null=True)
        return fields

    def _efficacy(self, assessment) -> dict:
        cache = self.context.setdefault("_efficacy", {})
        if assessment.pk not in cache:
            cache[assessment.pk] = efficacy(
                assessment.participant.baseline_pasi, assessment.pasi_total, assessment.visit_code
            )
        return cache[assessment.pk]

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string", "format": "decimal"}})
    def get_region_subtotals(self, assessment) -> dict[str, str]:
        return {region: str(value) for region, value in region_subtotals(assessment).items()}

    @extend_schema_field({"type": "string", "format": "decimal", "nullable": True})
    def get_improvement_percent(self, assessment) -> str | None:
        value = self._efficacy(assessment)["improvement_percent"]
        return None if value is None else str(value)

    @extend_schema_field({"type": "boolean", "nullable": True})
    def get_pasi50(self, assessment) -> bool | None:
        return self._efficacy(assessment)["pasi50"]

    @extend_schema_field({"type": "boolean", "nullable": True})
    def get_pasi75(self, assessment) -> bool | None:
        return self._efficacy(assessment)["pasi75"]

    @extend_schema_field({"type": "boolean", "nullable": True})
    def get_pasi90(self, assessment) -> bool | None:
        return self._efficacy(assessment)["pasi90"]

    @extend_schema_field({"type": "boolean", "nullable": True})
    def get_pasi100(self, assessment) -> bool | None:
        return self._efficacy(assessment)["pasi100"]

    def _save(self, *, visit, data, reason):
        regions = {
            region: {
                **{item: data.get(f"{region}_{item}") for item in pasi.ITEMS},
                **{name: data.get(f"{region}_{name}") for name in AREA_FIELDS},
            }
            for region in pasi.REGIONS
        }
        try:
            return pasi_save(
                visit=visit,
                user=self.context["request"].user,
                assessment_date=data.get("assessment_date"),
                bsa_percent=data.get("bsa_percent"),
                regions=regions,
                reason=reason,
                expected_version=self.context.get("expected_version"),
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error

    def create(self, validated_data):
        visit = visit_of(validated_data["participant"], validated_data["visit"]["visit_code"])
        return self._save(visit=visit, data=validated_data, reason=validated_data.get("reason_for_change") or None)

    def update(self, instance, validated_data):
        reason = change_reason(instance, validated_data)
        data = {"assessment_date": instance.assessment_date, "bsa_percent": instance.bsa_percent}
        for region in pasi.REGIONS:
            for item in pasi.ITEMS:
                data[f"{region}_{item}"] = getattr(instance, f"{region}_{item}")
            percent = getattr(instance, f"{region}_area_percent")
            changed_area = {f"{region}_{n}" for n in AREA_FIELDS} & validated_data.keys()
            if not changed_area:  # keep how the area was entered: the percentage, or only the score
                data[f"{region}_area_percent"] = percent
                score = getattr(instance, f"{region}_area_score")
                data[f"{region}_area_score"] = None if percent is not None else score
        data.update({k: v for k, v in validated_data.items() if k not in ("participant", "visit")})
        return self._save(visit=instance.visit, data=data, reason=reason)


class PasiAssessmentFilter(filters.FilterSet):
    participant = filters.CharFilter(field_name="participant__screening_number")
    visit_code = filters.CharFilter(field_name="visit__visit_code")

    class Meta:
        model = PasiAssessment
        fields = ["participant", "visit_code"]


@clinical_schema(PasiAssessmentSerializer)
class PasiAssessmentViewSet(ClinicalRecordViewSet):
    """PASI assessments: GET (view clinical), POST and PATCH with `reason_for_change` (enter data)."""

    serializer_class = PasiAssessmentSerializer
    filterset_class = PasiAssessmentFilter
    queryset = PasiAssessment.objects.select_related("participant", "visit", "assessor").order_by(
        "participant__screening_seq", "visit__visitnum"
    )
