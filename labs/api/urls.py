"""REST endpoints of the labs app, under /api/v1/ (included by trialsite/api_urls.py)."""

from rest_framework.routers import SimpleRouter

from labs.api.lab_results import LabResultViewSet

router = SimpleRouter(trailing_slash=True)
router.register("lab-results", LabResultViewSet, basename="lab-result")

urlpatterns = router.urls
