"""REST endpoints of the safety app, under /api/v1/ (included by trialsite/api_urls.py)."""

from rest_framework.routers import SimpleRouter

from safety.api.adverse_events import AdverseEventViewSet, SafetyHoldViewSet
from safety.api.reminders import ReminderViewSet

router = SimpleRouter(trailing_slash=True)
router.register("adverse-events", AdverseEventViewSet, basename="adverse-event")
router.register("safety-holds", SafetyHoldViewSet, basename="safety-hold")
router.register("reminders", ReminderViewSet, basename="reminder")

urlpatterns = router.urls
