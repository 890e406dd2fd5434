from django.urls import path

from signatures import views

app_name = "signatures"
urlpatterns = [
    path("participants/<slug:screening_number>/signatures/sign/", views.sign, name="sign"),
    path("signatures/awaiting/", views.awaiting, name="awaiting"),
]
