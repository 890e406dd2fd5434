from django.urls import path

from medications import views

app_name = "medications"

urlpatterns = [
    path("<slug:screening_number>/concomitant/", views.cm_new, name="cm_new"),
    path("concomitant/<int:pk>/", views.cm_edit, name="cm_edit"),
    path("<slug:screening_number>/history/", views.mh_new, name="mh_new"),
    path("history/<int:pk>/", views.mh_edit, name="mh_edit"),
    path("<slug:screening_number>/washout/", views.washout_override, name="washout_override"),
]
