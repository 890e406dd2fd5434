"""Idle session timeout without a database write on every request.

Django's SESSION_SAVE_EVERY_REQUEST would rewrite the session row on every page view. Instead
the session is touched (and so saved with a fresh expiry of SESSION_COOKIE_AGE) at most once a
minute: a user idle for 30 minutes is logged out, give or take that minute.

SessionStore (SESSION_ENGINE = "trialsite.sessions") is Django's database store reading the row
with one plain SELECT: every signed-in request loads its session, and building the ORM query took
longer than running it. The same round trip reads the study-data version and the site's time zone,
which cached pages and the cached signed-in user are keyed by (trialsite.pagecache,
trialsite.authentication): a page served from the cache then needs this one round trip.
"""

import time

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connections, router
from django.utils import timezone

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


class SessionStore(DatabaseSessionStore):
    page_key_values = None  # pagecache.KeyValues (data versions, site time zone) read with the row

    def _get_session_from_db(self):
        from trialsite import pagecache

        model = self.model
        connection = connections[router.db_for_read(model)]
        table = connection.ops.quote_name(model._meta.db_table)
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        columns, params = pagecache.key_columns_sql(connection.vendor)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data, {columns} FROM {table} WHERE session_key = %s AND expire_date > %s",
                [*params, self.session_key, now],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        self.page_key_values = pagecache.key_values(*row[1:])
        return model(session_key=self.session_key, session_data=row[0])
