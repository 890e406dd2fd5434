"""REST endpoints of data management, under /api/v1/ (included by trialsite/api_urls.py)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from datamanagement.api import views
from datamanagement.models import LockScope

router = SimpleRouter(trailing_slash=True)
router.register("queries", views.QueryViewSet, basename="query")

P = "participants/<slug:screening_number>/"
V = P + "visits/<slug:visit_code>/"
urlpatterns = [
    path("exports/queries.csv", views.QueriesCsvView.as_view(), name="export-queries"),
    path("exports/sdv.csv", views.SdvCsvView.as_view(), name="export-sdv"),
    path("sdv/", views.SdvView.as_view(), name="sdv"),
    path(P + "lock/", views.ParticipantLockView.as_view(), name="participant-lock"),
    path(P + "unlock/", views.ParticipantLockView.as_view(unlock=True), name="participant-unlock"),
    path(V + "lock/", views.VisitLockView.as_view(), name="visit-lock"),
    path(V + "unlock/", views.VisitLockView.as_view(unlock=True), name="visit-unlock"),
    path("study/lock/", views.LockView.as_view(scope=LockScope.DATABASE), name="study-lock"),
    path("study/unlock/", views.LockView.as_view(scope=LockScope.DATABASE, unlock=True), name="study-unlock"),
    *router.urls,
]
