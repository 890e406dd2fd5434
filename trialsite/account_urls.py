from django.urls import path

from trialsite import account_views

urlpatterns = [
    path("profile/", account_views.profile, name="profile"),
    path("password/", account_views.password_change, name="password_change"),
    path("profile/tokens/<slug:token_key>/revoke/", account_views.revoke_token, name="revoke_token"),
]
