"""Browser pages for data management: exports, audit trail, participant history."""

from django.urls import path

from trialsite import data_views

urlpatterns = [
    path("exports/", data_views.exports, name="exports"),
    path("audit-trail/", data_views.audit_trail, name="audit_trail"),
    path(
        "audit-trail/participants/<str:screening_number>/", data_views.participant_history, name="participant_history"
    ),
]
