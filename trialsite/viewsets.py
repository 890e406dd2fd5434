"""Base viewset of the clinical records and the helpers their serializers share (apart from api.py,
which DRF imports while it loads its own views)."""

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response

from trialsite.api import etag, if_match_version, refuse_unwritable
from trialsite.audit import REASON_REQUIRED
from trialsite.roles import Cap

ERRORS = {
    400: OpenApiResponse(description="Invalid input: `{field: [messages]}`; nothing saved"),
    401: OpenApiResponse(description="Not authenticated"),
    403: OpenApiResponse(description="The role may not do this"),
    404: OpenApiResponse(description="Unknown record or page"),
}
CHANGING_METHODS = ("PUT", "PATCH", "DELETE")


class VersionedResourceMixin:
    """Optimistic concurrency for views of audited records (trialsite.audit: every record has a version).

    Every successful answer that is one record with a `version` carries `ETag: "<version>"`. A write
    takes the version the client read from If-Match (`expected_version`: required for PUT, PATCH and
    DELETE, 428 without it; 412 with the current ETag when stale) and hands it to the write door,
    which checks it again under a lock, so of two writes from one read exactly one succeeds.
    """

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        data = getattr(response, "data", None)
        if 200 <= response.status_code < 300 and isinstance(data, dict) and isinstance(data.get("version"), int):
            response["ETag"] = etag(data["version"])
        return response

    def expected_version(self, record, *, required: bool | None = None) -> int | None:
        if required is None:
            required = self.request.method in CHANGING_METHODS
        return if_match_version(self.request, record, required=required)

    @staticmethod
    def refuse_unwritable(data, write_serializer, read_serializer=None) -> None:
        """400 naming each field of `data` the client cannot write (see trialsite.api.refuse_unwritable)."""
        writable = {name for name, field in write_serializer.fields.items() if not field.read_only}
        readable = set((read_serializer or write_serializer).fields)
        refuse_unwritable(data, writable=writable, readable=readable)


class ClinicalRecordViewSet(
    VersionedResourceMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """A clinical record collection: read with view_clinical; create, and change with PATCH, If-Match and a
    `reason_for_change`, with enter_data. Never deleted through the API.

    Writing serializers get the version the client read as `context["expected_version"]` and pass it
    to their service; a change naming a field the client cannot write is refused (400), never silently
    ignored.
    """

    http_method_names = ["get", "post", "patch", "head", "options"]
    capabilities = {"GET": Cap.VIEW_CLINICAL, "POST": Cap.ENTER_DATA, "PATCH": Cap.ENTER_DATA}

    def partial_update(self, request, *args, **kwargs):
        instance = self.get_object()
        expected = self.expected_version(instance)
        serializer = self.get_serializer(instance, data=request.data, partial=True)
        self.refuse_unwritable(request.data, serializer)
        serializer.context["expected_version"] = expected
        serializer.is_valid(raise_exception=True)
        record = serializer.save()
        return Response(self.get_serializer(record).data)  # the whole record, as GET shows it


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
        raise serializers.ValidationError(
            {"participant": [gettext("The participant of a saved record cannot change.")]}
        )
    if "visit" in validated_data and validated_data["visit"]["visit_code"] != instance.visit.visit_code:
        raise serializers.ValidationError({"visit_code": [gettext("The visit of a saved record cannot change.")]})
    return reason


def visit_of(participant, visit_code: str):
    """The participant's visit `visit_code`, or a 400 naming it."""
    visit = participant.visits.filter(visit_code=visit_code).first()
    if visit is None:
        raise serializers.ValidationError(
            {
                "visit_code": [
                    gettext("%(participant)s has no visit %(code)s.") % {"participant": participant, "code": visit_code}
                ]
            }
        )
    return visit
