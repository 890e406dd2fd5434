from django.urls import path

from trialsite import account_views

urlpatterns = [
    path("profile/", account_views.profile, name="profile"),
]
