"""Base viewset of the clinical records and the helpers their serializers share (apart from api.py,
which DRF imports while it loads its own views)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from trialsite.audit import REASON_REQUIRED
from trialsite.roles import Cap

ERRORS = {
    400: OpenApiResponse(description="Invalid input: `{field: [messages]}`; nothing saved"),
    401: OpenApiResponse(description="Not authenticated"),
    403: OpenApiResponse(description="The role may not do this"),
    404: OpenApiResponse(description="Unknown record or page"),
}


class ClinicalRecordViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """A clinical record collection: read with view_clinical; create, and change with PATCH and a
    `reason_for_change`, with enter_data. Never deleted through the API."""

    http_method_names = ["get", "post", "patch", "head", "options"]
    capabilities = {"GET": Cap.VIEW_CLINICAL, "POST": Cap.ENTER_DATA, "PATCH": Cap.ENTER_DATA}


def clinical_schema(serializer):
    """Decorate a list/retrieve/create/partial_update viewset with its documented responses."""
    read = {code: ERRORS[code] for code in (400, 401, 403, 404)}  # 400: a malformed filter value
    return extend_schema_view(
        list=extend_schema(responses={200: serializer(many=True), **read}),
        retrieve=extend_schema(responses={200: serializer, **read}),
        create=extend_schema(responses={201: serializer, **{c: ERRORS[c] for c in (400, 401, 403)}}),
        partial_update=extend_schema(responses={200: serializer, **ERRORS}),
    )


def change_reason(instance, validated_data) -> str:
    """The reason for changing a saved record; its participant and visit stay as they are."""
    reason = (validated_data.get("reason_for_change") or "").strip()
    if not reason:
        raise serializers.ValidationError({"reason_for_change": [REASON_REQUIRED]})
    if "participant" in validated_data and validated_data["participant"].pk != instance.participant_id:
        raise serializers.ValidationError({"participant": ["The participant of a saved record cannot change."]})
    if "visit" in validated_data and validated_data["visit"]["visit_code"] != instance.visit.visit_code:
        raise serializers.ValidationError({"visit_code": ["The visit of a saved record cannot change."]})
    return reason


def visit_of(participant, visit_code: str):
    """The participant's visit `visit_code`, or a 400 naming it."""
    visit = participant.visits.filter(visit_code=visit_code).first()
    if visit is None:
        raise serializers.ValidationError({"visit_code": [f"{participant} has no visit {visit_code}."]})
    return visit
