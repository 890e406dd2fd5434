from django.urls import path

from medications import views

app_name = "medications"

urlpatterns = [
    path("<slug:screening_number>/concomitant/", views.cm_new, name="cm_new"),
    path("concomitant/<int:pk>/", views.cm_edit, name="cm_edit"),
]
