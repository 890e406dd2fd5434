"""The API under /api/v1/: each app's endpoints come from its own `api/urls.py`, included by name so
that the project package imports no app."""

from django.urls import include, path

APPS = (
    "subjects", "signatures", "assessments", "dosing", "labs", "medications", "safety", "datamanagement",
    "deviations", "exports",
)  # fmt: skip
urlpatterns = [path("", include(f"{app}.api.urls")) for app in APPS]
