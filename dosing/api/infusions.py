from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from rest_framework import serializers

from dosing.models import Infusion
from dosing.services import INFUSION_ENTERED_FIELDS, infusion_record
from subjects.models import Participant
from trialsite.audit import REASON_MAX_LENGTH
from trialsite.viewsets import ClinicalRecordViewSet, change_reason, clinical_schema, visit_of

ENTERED_FIELDS = INFUSION_ENTERED_FIELDS


class InfusionSerializer(serializers.Serializer):
    """CRF infusion. The planned dose and the deviation flag are derived by the service (read-only)."""

    id = serializers.IntegerField(read_only=True)
    version = serializers.IntegerField(
        read_only=True, help_text=gettext_lazy("Increases with every change; also the ETag.")
    )
    participant = serializers.SlugRelatedField(slug_field="screening_number", queryset=Participant.objects.all())
    visit_code = serializers.CharField(source="visit.visit_code")
    infusion_number = serializers.IntegerField(read_only=True)
    weight_kg_used = serializers.DecimalField(max_digits=5, decimal_places=1, read_only=True)
    dose_per_kg = serializers.IntegerField(read_only=True)
    planned_cells = serializers.IntegerField(read_only=True)
    administered_cells = serializers.IntegerField()
    dose_deviation = serializers.BooleanField(read_only=True)
    deviation = serializers.BooleanField(source="dose_deviation", read_only=True)
    deviation_reason = serializers.CharField(required=False, allow_blank=True, default="")
    product_lot = serializers.CharField(max_length=40)
    viability_percent = serializers.DecimalField(max_digits=None, decimal_places=None)
    thaw_time = serializers.DateTimeField()
    start_time = serializers.DateTimeField()
    end_time = serializers.DateTimeField()
    thaw_to_start_minutes = serializers.IntegerField(read_only=True)
    volume_ml = serializers.DecimalField(max_digits=None, decimal_places=None)
    whole_volume_given = serializers.BooleanField()
    volume_given_ml = serializers.DecimalField(max_digits=None, decimal_places=None, required=False, allow_null=True)
    route = serializers.CharField(read_only=True)
    interrupted = serializers.BooleanField(required=False, default=False)
    interruption_reason = serializers.CharField(required=False, allow_blank=True, default="")
    administered_by = serializers.CharField(source="administered_by.username", read_only=True)
    reason_for_change = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=REASON_MAX_LENGTH
    )

    def _save(self, *, visit, data, reason):
        try:
            return infusion_record(
                visit=visit,
                user=self.context["request"].user,
                reason=reason,
                expected_version=self.context.get("expected_version"),
                **{name: data.get(name) for name in ENTERED_FIELDS},
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error

    def create(self, validated_data):
        visit = visit_of(validated_data["participant"], validated_data["visit"]["visit_code"])
        return self._save(visit=visit, data=validated_data, reason=None)

    def update(self, instance, validated_data):
        reason = change_reason(instance, validated_data)
        data = {name: getattr(instance, name) for name in ENTERED_FIELDS}
        data.update({k: v for k, v in validated_data.items() if k in ENTERED_FIELDS and k in self.initial_data})
        return self._save(visit=instance.visit, data=data, reason=reason)


class InfusionFilter(filters.FilterSet):
    participant = filters.CharFilter(field_name="participant__screening_number")
    visit_code = filters.CharFilter(field_name="visit__visit_code")

    class Meta:
        model = Infusion
        fields = ["participant", "visit_code", "dose_deviation"]


@clinical_schema(InfusionSerializer)
class InfusionViewSet(ClinicalRecordViewSet):
    """Infusions: GET (view clinical), POST and PATCH with `reason_for_change` (enter data)."""

    serializer_class = InfusionSerializer
    filterset_class = InfusionFilter
    queryset = Infusion.objects.select_related("participant", "visit", "administered_by").order_by(
        "participant__screening_seq", "infusion_number"
    )
