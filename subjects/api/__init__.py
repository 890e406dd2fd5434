"""REST endpoints of the subjects app, registered on the one router in trialsite/api_urls.py."""

from django.urls import path


def register(router) -> list:
    """Add this app's viewsets to `router`; return any extra URL patterns."""
    from subjects.api.views import ParticipantViewSet, StudyView

    router.register("participants", ParticipantViewSet, basename="participant")
    return [path("study/", StudyView.as_view(), name="api-study")]
