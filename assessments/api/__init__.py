"""REST endpoints of the assessments app, registered on the one router in trialsite/api_urls.py."""


def register(router) -> list:
    """Add this app's viewsets to `router`; return any extra URL patterns."""
    from assessments.api.pasi import PasiAssessmentViewSet

    router.register("pasi-assessments", PasiAssessmentViewSet, basename="pasi-assessment")
    return []
