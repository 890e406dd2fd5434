"""Base viewsets (apart from api.py, which DRF imports while it loads its own views)."""

from rest_framework import mixins, viewsets
from rest_framework.response import Response

from trialsite.api import etag, if_match_version, refuse_unwritable
from trialsite.roles import Cap

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
