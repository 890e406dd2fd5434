"""REST endpoints of the safety app, under /api/v1/ (included by trialsite/api_urls.py)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from safety.api.adverse_events import AdverseEventViewSet, SafetyHoldViewSet
from safety.api.coding import TermSearchView
from safety.api.reminders import ReminderViewSet

router = SimpleRouter(trailing_slash=True)
router.register("adverse-events", AdverseEventViewSet, basename="adverse-event")
router.register("safety-holds", SafetyHoldViewSet, basename="safety-hold")
router.register("reminders", ReminderViewSet, basename="reminder")

urlpatterns = [path("coding/terms/", TermSearchView.as_view(), name="coding-terms"), *router.urls]
