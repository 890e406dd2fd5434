"""REST endpoints of the assessments app, under /api/v1/ (included by trialsite/api_urls.py)."""

from rest_framework.routers import SimpleRouter

from assessments.api.pasi import PasiAssessmentViewSet

router = SimpleRouter(trailing_slash=True)
router.register("pasi-assessments", PasiAssessmentViewSet, basename="pasi-assessment")

urlpatterns = router.urls
