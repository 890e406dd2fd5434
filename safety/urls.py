from django.urls import path

from safety import views

app_name = "safety"

urlpatterns = [
    path("adverse-events/", views.ae_list, name="ae_list"),
    path("participants/<int:participant_pk>/adverse-events/new/", views.ae_create, name="ae_create"),
    path("adverse-events/<int:pk>/", views.ae_detail, name="ae_detail"),
    path("adverse-events/<int:pk>/edit/", views.ae_edit, name="ae_edit"),
    path("adverse-events/<int:pk>/assess/", views.ae_assess, name="ae_assess"),
    path("adverse-events/<int:pk>/reported/", views.ae_report, name="ae_report"),
    path("holds/<int:pk>/release/", views.hold_release, name="hold_release"),
    path("coding/", views.coding_queue, name="coding_queue"),
    path("coding/adverse-events/<int:pk>/", views.coding_ae, name="coding_ae"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/listing/<slug:name>/", views.listing, name="listing"),
]
