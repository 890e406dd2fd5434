from django.urls import path

from dosing import views

app_name = "dosing"

urlpatterns = [
    path("<str:screening_number>/<str:visit_code>/vitals/", views.vitals, name="vitals"),
    path("<str:screening_number>/<str:visit_code>/vitals/<int:pk>/", views.vitals_edit, name="vitals_edit"),
    path("<str:screening_number>/<str:visit_code>/infusion/", views.infusion, name="infusion"),
]
