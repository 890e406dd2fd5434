from django.urls import path

from deviations import views

app_name = "deviations"

urlpatterns = [
    path("", views.deviation_list, name="list"),
    path("<int:pk>/", views.deviation_edit, name="edit"),
    path("<slug:screening_number>/new/", views.deviation_new, name="new"),
]
