"""REST endpoint of laboratory results (routes: urls.py): one row per test per panel (SDTM LB)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from rest_framework import serializers

from labs.models import TEST_CHOICES, UNIT_CHOICES, LabResult
from labs.services import lab_result_record
from subjects.models import Participant
from trialsite.audit import REASON_MAX_LENGTH
from trialsite.viewsets import ClinicalRecordViewSet, change_reason, clinical_schema

ENTERED_FIELDS = ("value", "unit", "not_done_reason", "clinically_significant")


class LabResultSerializer(serializers.Serializer):
    """A laboratory result. `value`/`unit` as reported; the standard value, range, flag, CTCAE grade,
    baseline and AE prompt are derived (read-only). `visit_code` is SCR, W0, W4, W8, W12 or UNS; results
    of one scheduled visit share its panel and collection time."""

    id = serializers.IntegerField(read_only=True)
    version = serializers.IntegerField(read_only=True, help_text="Increases with every change; also the ETag.")
    participant = serializers.SlugRelatedField(slug_field="screening_number", queryset=Participant.objects.all())
    visit_code = serializers.CharField(source="panel.visit_code")
    collected_at = serializers.DateTimeField(source="panel.collected_at")
    test_code = serializers.ChoiceField(choices=TEST_CHOICES)
    value = serializers.DecimalField(max_digits=12, decimal_places=4, required=False, allow_null=True)
    unit = serializers.ChoiceField(choices=UNIT_CHOICES, required=False, allow_blank=True)
    not_done_reason = serializers.CharField(required=False, allow_blank=True, default="")
    clinically_significant = serializers.BooleanField(required=False, allow_null=True, default=None)
    value_standard = serializers.DecimalField(max_digits=14, decimal_places=6, read_only=True)
    standard_unit = serializers.CharField(source="test.standard_unit", read_only=True)
    lln = serializers.DecimalField(max_digits=12, decimal_places=4, read_only=True)
    uln = serializers.DecimalField(max_digits=12, decimal_places=4, read_only=True)
    flag = serializers.CharField(read_only=True)
    ctcae_grade = serializers.IntegerField(read_only=True)
    is_baseline = serializers.BooleanField(read_only=True)
    prompts_ae = serializers.BooleanField(read_only=True)
    reason_for_change = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=REASON_MAX_LENGTH
    )

    def _save(self, **kwargs):
        try:
            return lab_result_record(
                user=self.context["request"].user, expected_version=self.context.get("expected_version"), **kwargs
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error

    def create(self, validated_data):
        panel = validated_data["panel"]
        return self._save(
            participant=validated_data["participant"],
            visit_code=panel["visit_code"],
            collected_at=panel["collected_at"],
            test_code=validated_data["test_code"],
            **{name: validated_data.get(name) for name in ENTERED_FIELDS},
        )

    def update(self, instance, validated_data):
        reason = change_reason(instance, {k: v for k, v in validated_data.items() if k != "panel"})
        panel = validated_data.get("panel", {})
        if panel.get("visit_code", instance.panel.visit_code) != instance.panel.visit_code:
            raise serializers.ValidationError({"visit_code": [_("The visit of a saved result cannot change.")]})
        if panel.get("collected_at", instance.panel.collected_at) != instance.panel.collected_at:
            raise serializers.ValidationError(
                {"collected_at": [_("The collection time is the panel's: not changed here.")]}
            )
        if validated_data.get("test_code", instance.test_code) != instance.test_code:
            raise serializers.ValidationError({"test_code": [_("The test of a saved result cannot change.")]})
        data = {name: getattr(instance, name) for name in ENTERED_FIELDS}
        data.update({k: v for k, v in validated_data.items() if k in ENTERED_FIELDS and k in self.initial_data})
        if data.get("value") is not None and "not_done_reason" not in self.initial_data:
            data["not_done_reason"] = ""
        return self._save(
            participant=instance.participant, test_code=instance.test_code, result=instance, reason=reason, **data
        )


class LabResultFilter(filters.FilterSet):
    participant = filters.CharFilter(field_name="participant__screening_number")
    visit_code = filters.CharFilter(field_name="panel__visit_code")
    test_code = filters.ChoiceFilter(choices=TEST_CHOICES)
    min_grade = filters.NumberFilter(field_name="ctcae_grade", lookup_expr="gte")

    class Meta:
        model = LabResult
        fields = ["participant", "visit_code", "test_code", "flag", "prompts_ae"]


@clinical_schema(LabResultSerializer)
class LabResultViewSet(ClinicalRecordViewSet):
    """Laboratory results: GET (view clinical), POST and PATCH with `reason_for_change` (enter data)."""

    serializer_class = LabResultSerializer
    filterset_class = LabResultFilter
    queryset = LabResult.objects.select_related("participant", "panel").order_by(
        "participant__screening_seq", "panel__collected_at", "test_code", "id"
    )
