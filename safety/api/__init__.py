"""REST endpoints of the safety app, registered on the one router in trialsite/api_urls.py."""


def register(router) -> list:
    """Add this app's viewsets to `router`; return any extra URL patterns."""
    return []
