"""REST endpoints of the dosing app, registered on the one router in trialsite/api_urls.py."""


def register(router) -> list:
    """Add this app's viewsets to `router`; return any extra URL patterns."""
    from dosing.api.infusions import InfusionViewSet
    from dosing.api.vitals import VitalSignsViewSet

    router.register("vital-signs", VitalSignsViewSet, basename="vital-signs")
    router.register("infusions", InfusionViewSet, basename="infusion")
    return []
