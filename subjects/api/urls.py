"""REST endpoints of the subjects app, under /api/v1/ (included by trialsite/api_urls.py)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from subjects.api.views import ParticipantViewSet, StudyView

router = SimpleRouter(trailing_slash=True)
router.register("participants", ParticipantViewSet, basename="participant")

urlpatterns = [path("study/", StudyView.as_view(), name="api-study"), *router.urls]
