"""REST endpoints of the deviations app, under /api/v1/ (included by trialsite/api_urls.py)."""

from rest_framework.routers import SimpleRouter

from deviations.api.deviations import ProtocolDeviationViewSet

router = SimpleRouter(trailing_slash=True)
router.register("protocol-deviations", ProtocolDeviationViewSet, basename="protocol-deviation")

urlpatterns = router.urls
