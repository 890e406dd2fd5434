"""The one API router: every app registers its endpoints here under /api/v1/."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from assessments.api import register as register_assessments
from dosing.api import register as register_dosing
from safety.api import register as register_safety
from subjects.api import register as register_subjects
from trialsite.api_views import register as register_trialsite

router = DefaultRouter(trailing_slash=True)
extra_urlpatterns: list = []
for register in (register_subjects, register_assessments, register_dosing, register_safety, register_trialsite):
    extra_urlpatterns += register(router) or []

urlpatterns = [*extra_urlpatterns, path("", include(router.urls))]
