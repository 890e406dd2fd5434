"""REST endpoints of the dosing app, under /api/v1/ (included by trialsite/api_urls.py)."""

from rest_framework.routers import SimpleRouter

from dosing.api.infusions import InfusionViewSet
from dosing.api.vitals import VitalSignsViewSet

router = SimpleRouter(trailing_slash=True)
router.register("vital-signs", VitalSignsViewSet, basename="vital-signs")
router.register("infusions", InfusionViewSet, basename="infusion")

urlpatterns = router.urls
