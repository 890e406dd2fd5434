"""REST endpoints of the signatures app, under /api/v1/ (included by trialsite/api_urls.py)."""

from django.urls import path

from signatures.api.views import ParticipantSignaturesView

urlpatterns = [
    path(
        "participants/<slug:screening_number>/signatures/",
        ParticipantSignaturesView.as_view(),
        name="api-participant-signatures",
    ),
]
