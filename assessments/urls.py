from django.urls import path

from assessments import views

app_name = "assessments"

urlpatterns = [
    path("pasi/preview/", views.pasi_preview, name="pasi_preview"),
    path("<str:screening_number>/<str:visit_code>/pasi/", views.pasi_entry, name="pasi"),
]
