"""GET /api/v1/reminders/ and POST /api/v1/reminders/{id}/acknowledge/ (coordinators, investigators)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from safety import reminders
from safety.models import Reminder
from trialsite.roles import Cap

BOOLEAN_PARAM = {"true": True, "1": True, "false": False, "0": False}


class ReminderSerializer(serializers.ModelSerializer):
    participant = serializers.CharField(source="participant.screening_number", read_only=True)
    subject_id = serializers.CharField(source="participant.subject_label", read_only=True)
    visit_code = serializers.CharField(source="visit.visit_code", read_only=True, allow_null=True)
    ae_number = serializers.IntegerField(source="adverse_event.ae_number", read_only=True, allow_null=True)
    acknowledged = serializers.BooleanField(read_only=True)

    class Meta:
        model = Reminder
        fields = [
            "id",
            "kind",
            "participant",
            "subject_id",
            "visit_code",
            "ae_number",
            "due_date",
            "message",
            "created_at",
            "acknowledged",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "acknowledged", OpenApiTypes.BOOL, description=gettext_lazy("acknowledged by the calling user")
            ),
            OpenApiParameter("kind", OpenApiTypes.STR, enum=Reminder.Kind.values),
        ]
    ),
    acknowledge=extend_schema(request=None),
)
class ReminderViewSet(viewsets.ReadOnlyModelViewSet):
    """Reminders of the site, each with whether the calling user acknowledged it.

    Filters: `acknowledged=true|false`, `kind=<reminder kind>`.
    """

    serializer_class = ReminderSerializer
    capabilities_by_action = {
        "list": Cap.VIEW_REMINDERS,
        "retrieve": Cap.VIEW_REMINDERS,
        "acknowledge": Cap.VIEW_REMINDERS,
    }

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Reminder.objects.none()
        params = self.request.query_params
        errors = {}
        acknowledged = params.get("acknowledged")
        if acknowledged is not None and acknowledged.lower() not in BOOLEAN_PARAM:
            errors["acknowledged"] = [_("Use true or false.")]
        kind = params.get("kind") or None
        if kind is not None and kind not in Reminder.Kind.values:
            errors["kind"] = [_("Unknown kind; one of %(kinds)s.") % {"kinds": ", ".join(Reminder.Kind.values)}]
        if errors:
            raise serializers.ValidationError(errors)
        return reminders.reminders_for(
            self.request.user,
            acknowledged=None if acknowledged is None else BOOLEAN_PARAM[acknowledged.lower()],
            kind=kind,
        )

    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        reminder = self.get_object()
        reminders.reminder_acknowledge(reminder=reminder, user=request.user)
        reminder.acknowledged = True
        return Response(self.get_serializer(reminder).data)
