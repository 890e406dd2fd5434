"""REST endpoints of the medications app, under /api/v1/ (included by trialsite/api_urls.py)."""

from rest_framework.routers import SimpleRouter

from medications.api.concomitant import ConcomitantMedicationViewSet
from medications.api.history import MedicalHistoryViewSet

router = SimpleRouter(trailing_slash=True)
router.register("concomitant-medications", ConcomitantMedicationViewSet, basename="concomitant-medication")

router.register("medical-history", MedicalHistoryViewSet, basename="medical-history")

urlpatterns = router.urls
