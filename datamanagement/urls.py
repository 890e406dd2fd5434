from django.urls import path

from datamanagement import views

app_name = "datamanagement"

urlpatterns = [
    path("queries/", views.query_list, name="queries"),
    path("queries/new/<slug:record_type>/<int:record_id>/", views.query_new, name="query_new"),
    path("queries/<int:query_id>/", views.query_detail, name="query"),
    path("sdv/", views.sdv_overview, name="sdv"),
    path("sdv/<slug:screening_number>/", views.sdv_participant, name="sdv_participant"),
    path("locks/database/", views.database_lock, name="database_lock"),
    path("locks/<slug:screening_number>/", views.participant_lock, name="participant_lock"),
    path("locks/<slug:screening_number>/<slug:visit_code>/", views.visit_lock, name="visit_lock"),
]
