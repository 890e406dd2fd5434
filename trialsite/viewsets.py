"""Base viewsets (apart from api.py, which DRF imports while it loads its own views)."""

from rest_framework import mixins, viewsets

from trialsite.roles import Cap


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
