from django.urls import path

from assessments import views

app_name = "assessments"

urlpatterns = [
    path("pasi/preview/", views.pasi_preview, name="pasi_preview"),
    path("<slug:screening_number>/<slug:visit_code>/pasi/", views.pasi_entry, name="pasi"),
]
