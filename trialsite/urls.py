from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from trialsite import i18n, two_factor_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("healthz/live", views.liveness, name="liveness"),
    path("healthz/broker", views.healthz_broker, name="healthz-broker"),
    path("accounts/login/", two_factor_views.login, name="login"),
    path("accounts/two-factor/", two_factor_views.enrol, name="two_factor_enrol"),
    path("accounts/two-factor/verify/", two_factor_views.verify, name="two_factor_verify"),
    # A username as Django's validator allows it (letters, digits, @ . + - _): nothing else reaches SQL.
    re_path(r"^accounts/two-factor/reset/(?P<username>[\w.@+-]+)/$", two_factor_views.reset, name="two_factor_reset"),
    path("accounts/logout/", views.logout, name="logout"),
    path("language/", i18n.set_language, name="set_language"),
    path("accounts/", include("trialsite.account_urls")),
    path("", include("exports.urls")),
    path("participants/", include("subjects.urls")),
    path("", include("signatures.urls")),
    path("assessments/", include("assessments.urls")),
    path("dosing/", include("dosing.urls")),
    path("safety/", include("safety.urls")),
    path("labs/", include("labs.urls")),
    path("medications/", include("medications.urls")),
    path("deviations/", include("deviations.urls")),
    path("reminders/", include("safety.reminder_urls")),
    path("data/", include("datamanagement.urls")),
    path("desk/", include("desk.urls")),
    path("api/v1/", include("trialsite.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # The admin's own password change would skip the lockout and the record of the change: one page for all.
    path("admin/password_change/", RedirectView.as_view(pattern_name="password_change"), name="admin-password"),
    path("admin/", admin.site.urls),
]

handler400 = "trialsite.views.bad_request"
handler403 = "trialsite.views.permission_denied"
handler404 = "trialsite.views.page_not_found"
handler500 = "trialsite.views.server_error"
