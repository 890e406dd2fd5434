"""REST endpoint of the protocol deviation log (SDTM DV): derived deviations are read-only."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters import rest_framework as filters
from rest_framework import serializers

from deviations.models import Category, ProtocolDeviation, Source
from deviations.services import deviation_record
from subjects.models import Participant
from trialsite.audit import REASON_MAX_LENGTH
from trialsite.viewsets import ClinicalRecordViewSet, change_reason, clinical_schema


class ProtocolDeviationSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    version = serializers.IntegerField(read_only=True, help_text="Increases with every change; also the ETag.")
    participant = serializers.SlugRelatedField(slug_field="screening_number", queryset=Participant.objects.all())
    category = serializers.ChoiceField(choices=Category.choices)
    description = serializers.CharField()
    deviation_date = serializers.DateField(required=False, allow_null=True, default=None)
    source = serializers.ChoiceField(choices=Source.choices, read_only=True)
    withdrawn = serializers.BooleanField(read_only=True)
    reason_for_change = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=REASON_MAX_LENGTH
    )

    def _save(self, *, participant, data, record, reason):
        try:
            return deviation_record(
                participant=participant,
                user=self.context["request"].user,
                category=data["category"],
                description=data["description"],
                deviation_date=data.get("deviation_date"),
                record=record,
                reason=reason,
                expected_version=self.context.get("expected_version"),
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error

    def create(self, validated_data):
        return self._save(participant=validated_data["participant"], data=validated_data, record=None, reason=None)

    def update(self, instance, validated_data):
        reason = change_reason(instance, validated_data)
        data = {name: getattr(instance, name) for name in ("category", "description", "deviation_date")}
        data.update({k: v for k, v in validated_data.items() if k in data and k in self.initial_data})
        return self._save(participant=instance.participant, data=data, record=instance, reason=reason)


class ProtocolDeviationFilter(filters.FilterSet):
    participant = filters.CharFilter(field_name="participant__screening_number")

    class Meta:
        model = ProtocolDeviation
        fields = ["participant", "category", "source", "withdrawn"]


@clinical_schema(ProtocolDeviationSerializer)
class ProtocolDeviationViewSet(ClinicalRecordViewSet):
    """Protocol deviations: GET (view clinical); POST and PATCH (reason) of deviations recorded by hand."""

    serializer_class = ProtocolDeviationSerializer
    filterset_class = ProtocolDeviationFilter
    queryset = ProtocolDeviation.objects.select_related("participant").order_by("participant__screening_seq", "id")
