"""Idle session timeout without a database write on every request.

Django's SESSION_SAVE_EVERY_REQUEST would rewrite the session row on every page view. Instead
the session is touched (and so saved with a fresh expiry of SESSION_COOKIE_AGE) at most once a
minute: a user idle for 30 minutes is logged out, give or take that minute.
"""

import time

TOUCH_KEY = "_last_touch"
TOUCH_EVERY_SECONDS = 60


def mark_touched_on_login(sender, request, user, **kwargs) -> None:
    """Logging in has just saved the session with a fresh expiry: it counts as the first touch."""
    if getattr(request, "session", None) is not None:
        request.session[TOUCH_KEY] = int(time.time())


class IdleTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.session_key:
            now = int(time.time())
            if now - session.get(TOUCH_KEY, 0) >= TOUCH_EVERY_SECONDS:
                session[TOUCH_KEY] = now
        return self.get_response(request)
