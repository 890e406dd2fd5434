"""REST endpoints of the safety app, registered on the one router in trialsite/api_urls.py."""

from safety.api import adverse_events, reminders


def register(router) -> list:
    return adverse_events.register(router) + reminders.register(router)
