from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from rest_framework import serializers

from dosing.models import Timepoint, VitalSigns
from dosing.services import VITAL_VALUE_FIELDS, vitals_record
from subjects.models import Participant
from trialsite.audit import REASON_MAX_LENGTH
from trialsite.viewsets import ClinicalRecordViewSet, change_reason, clinical_schema, visit_of


def _decimal(**kwargs):
    return serializers.DecimalField(max_digits=None, decimal_places=None, required=False, allow_null=True, **kwargs)


class VitalSignsSerializer(serializers.Serializer):
    """CRF vital signs of a visit or infusion time point; ranges are checked by the service."""

    id = serializers.IntegerField(read_only=True)
    version = serializers.IntegerField(
        read_only=True, help_text=gettext_lazy("Increases with every change; also the ETag.")
    )
    participant = serializers.SlugRelatedField(slug_field="screening_number", queryset=Participant.objects.all())
    visit_code = serializers.CharField(source="visit.visit_code")
    timepoint = serializers.ChoiceField(choices=Timepoint.choices)
    minutes_after_start = serializers.IntegerField(required=False, allow_null=True)
    measured_at = serializers.DateTimeField()
    weight_kg = _decimal()
    systolic_bp = serializers.IntegerField(required=False, allow_null=True)
    diastolic_bp = serializers.IntegerField(required=False, allow_null=True)
    heart_rate = serializers.IntegerField(required=False, allow_null=True)
    temperature_c = _decimal()
    respiratory_rate = serializers.IntegerField(required=False, allow_null=True)
    spo2_percent = serializers.IntegerField(required=False, allow_null=True)
    infusion_number = serializers.IntegerField(
        source="infusion.infusion_number", read_only=True, default=None, allow_null=True
    )
    reason_for_change = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=REASON_MAX_LENGTH
    )

    def _save(self, *, visit, data, record, reason):
        try:
            return vitals_record(
                visit=visit,
                user=self.context["request"].user,
                timepoint=data["timepoint"],
                measured_at=data["measured_at"],
                minutes_after_start=data.get("minutes_after_start"),
                reason=reason,
                vital_signs=record,
                expected_version=self.context.get("expected_version"),
                **{name: data.get(name) for name in VITAL_VALUE_FIELDS},
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error

    def create(self, validated_data):
        visit = visit_of(validated_data["participant"], validated_data["visit"]["visit_code"])
        return self._save(visit=visit, data=validated_data, record=None, reason=None)

    def update(self, instance, validated_data):
        reason = change_reason(instance, validated_data)
        data = {name: getattr(instance, name) for name in ("timepoint", "measured_at", "minutes_after_start")}
        data.update({name: getattr(instance, name) for name in VITAL_VALUE_FIELDS})
        data.update({k: v for k, v in validated_data.items() if k not in ("participant", "visit")})
        return self._save(visit=instance.visit, data=data, record=instance, reason=reason)


class VitalSignsFilter(filters.FilterSet):
    participant = filters.CharFilter(field_name="participant__screening_number")
    visit_code = filters.CharFilter(field_name="visit__visit_code")
    timepoint = filters.ChoiceFilter(choices=Timepoint.choices)

    class Meta:
        model = VitalSigns
        fields = ["participant", "visit_code", "timepoint"]


@clinical_schema(VitalSignsSerializer)
class VitalSignsViewSet(ClinicalRecordViewSet):
    """Vital signs: GET (view clinical), POST and PATCH with `reason_for_change` (enter data)."""

    serializer_class = VitalSignsSerializer
    filterset_class = VitalSignsFilter
    queryset = VitalSigns.objects.select_related("participant", "visit", "infusion").order_by(
        "participant__screening_seq", "visit__visitnum", "measured_at", "id"
    )
