"""Browser pages for data management: exports, audit trail, participant history."""

from django.urls import path

from exports import views

urlpatterns = [
    path("participants/<slug:screening_number>/casebook.pdf", views.casebook, name="casebook"),
    path("exports/casebooks.zip", views.casebooks, name="casebooks"),
    path("exports/", views.exports, name="exports"),
    path("audit-trail/", views.audit_trail, name="audit_trail"),
    path("audit-trail/participants/<slug:screening_number>/", views.participant_history, name="participant_history"),
    path("history/<slug:record_type>/<int:pk>/<slug:field_name>/", views.field_history, name="field_history"),
]
