from django.urls import path

from labs import views

app_name = "labs"

urlpatterns = [
    path("normal-ranges/", views.normal_ranges, name="normal_ranges"),
    path("<slug:screening_number>/panel/", views.panel_new, name="panel_new"),
    path("result/<int:pk>/", views.result_edit, name="result_edit"),
]
