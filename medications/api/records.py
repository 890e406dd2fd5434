"""What the medication and history endpoints share: writes go through the app's one service function."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from trialsite.viewsets import change_reason


class RecordServiceSerializer(serializers.Serializer):
    """Creates and changes a record through `service` (cm_record, mh_record) with the `fields` it takes;
    a PATCH keeps the stored values of the fields it does not send."""

    fields_of_service: tuple[str, ...] = ()

    def service(self, **kwargs):
        raise NotImplementedError

    def _save(self, *, participant, data, record, reason):
        try:
            return self.service(
                participant=participant,
                user=self.context["request"].user,
                record=record,
                reason=reason,
                expected_version=self.context.get("expected_version"),
                **{name: data.get(name) for name in self.fields_of_service},
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error

    def create(self, validated_data):
        return self._save(participant=validated_data["participant"], data=validated_data, record=None, reason=None)

    def update(self, instance, validated_data):
        reason = change_reason(instance, validated_data)
        names = self.fields_of_service
        data = {name: getattr(instance, name) for name in names}
        data.update({k: v for k, v in validated_data.items() if k in names and k in self.initial_data})
        return self._save(participant=instance.participant, data=data, record=instance, reason=reason)
