from django.urls import path

from dosing import views

app_name = "dosing"

urlpatterns = [
    path("<slug:screening_number>/<slug:visit_code>/vitals/", views.vitals, name="vitals"),
    path("<slug:screening_number>/<slug:visit_code>/vitals/<int:pk>/", views.vitals_edit, name="vitals_edit"),
    path("<slug:screening_number>/<slug:visit_code>/infusion/", views.infusion, name="infusion"),
    path("<slug:screening_number>/<slug:visit_code>/infusion/dose-check/", views.dose_check, name="dose_check"),
]
