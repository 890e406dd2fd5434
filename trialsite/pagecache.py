"""Rendered pages served again while nothing they show can have changed.

A page decorated with @cached_page is kept per session and URL under the study-data version
(trialsite.dataversion): any committed write to study data, users or roles, from a form, the API,
a Celery task or a bulk update, gives every page a new key, so a cached page is never older than
the data. Content that moves with the clock rather than with the data bounds the entry's life:
every page expires at the next midnight (visit windows, study days and "today" are dates), and code
that compares with the current time declares when its answer changes with expires_by() (an SAE
report falling due, the dashboard's generation minute).

What stays per request: authentication, the role check (AccessMiddleware runs before the view),
the session's idle timeout. The CSRF token in a cached page stays valid: it is masked from the
secret in the CSRF cookie, which is part of the key. A page is neither cached nor served from the cache
when messages are waiting to be shown, when the request has no valid CSRF cookie (the page's
forms carry a token bound to it), or for anything but a GET answered 200 with HTML.
"""

import hashlib
from contextlib import nullcontext
from contextvars import ContextVar
from datetime import datetime, timedelta
from functools import wraps
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from trialsite import dataversion

KEY_PREFIX = "trialsite:page:v1:"
HEADER = "X-Trialsite-Page-Cache"  # hit / miss / bypass, for people and tests reading responses

_deadlines: ContextVar[list | None] = ContextVar("trialsite_page_deadlines", default=None)


def expires_by(moment: datetime | None) -> None:
    """What is being rendered now changes at `moment`: a cached copy must not be served from then on."""
    deadlines = _deadlines.get()
    if deadlines is not None and moment is not None:
        deadlines.append(moment)


def next_midnight(now: datetime, zone_names) -> datetime:
    """The first midnight after `now` in any of the zones (the site's, the server's, UTC)."""
    midnights = []
    for name in zone_names:
        local = now.astimezone(ZoneInfo(name))
        midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=local.tzinfo)
        midnights.append(midnight)
    return min(midnights)


def _messages_waiting(request: HttpRequest) -> bool:
    storage = getattr(request, "_messages", None)
    if storage is not None and getattr(storage, "_queued_messages", None):
        return True
    # The default storage keeps messages in the "messages" cookie, and in the session when they overflow it.
    session = getattr(request, "session", None)
    return bool(request.COOKIES.get("messages")) or bool(session is not None and session.get("_messages"))


class KeyValues(NamedTuple):
    version: str  # study data and accounts: the key of cached pages
    accounts: str  # accounts only: the key of the cached signed-in user (trialsite.authentication)
    site_zone: str | None  # the site's time zone, for the midnight expiry


def key_columns_sql(vendor: str) -> tuple[str, list]:
    """Select-list expressions giving KeyValues (read them with key_values()). The session store
    reads them in the same round trip as the session row (trialsite.sessions), before the view
    reads any data."""
    sql, params = dataversion.version_sql(vendor, (dataversion.STUDY, dataversion.ACCOUNTS))
    return f"{sql}, (SELECT time_zone FROM subjects_study ORDER BY id LIMIT 1)", params


def key_values(study_counter, study_writes, accounts_counter, accounts_writes, zone) -> KeyValues:
    accounts = dataversion.as_text(accounts_counter, accounts_writes)
    return KeyValues(f"{dataversion.as_text(study_counter, study_writes)}.{accounts}", accounts, zone)


def read_key_values(request: HttpRequest) -> KeyValues:
    """Those the session store read with the session row, else from a query of their own."""
    read_with_session = getattr(request.session, "page_key_values", None)
    if read_with_session is not None:
        return read_with_session
    sql, params = key_columns_sql(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql}", params)
        return key_values(*cursor.fetchone())


def _key(request: HttpRequest) -> tuple[str, str | None] | tuple[None, None]:
    if request.method != "GET" or not request.user.is_authenticated or _messages_waiting(request):
        return None, None
    csrf_secret = request.META.get("CSRF_COOKIE")
    session_key = getattr(request.session, "session_key", None)
    if not csrf_secret or not session_key:
        return None, None
    values = read_key_values(request)
    parts = (request.resolver_match.view_name if request.resolver_match else "", request.get_full_path(),
             str(request.user.pk), session_key, csrf_secret, values.version)  # fmt: skip
    return KEY_PREFIX + hashlib.sha256("\x1f".join(parts).encode()).hexdigest(), values.site_zone


def _expiry(now: datetime, deadlines: list[datetime], site_zone: str | None) -> datetime:
    zones = {settings.TIME_ZONE, "UTC"} | ({site_zone} if site_zone else set())
    later = [moment for moment in deadlines if moment > now]
    return min([next_midnight(now, zones), *later])


def _rendered(view, request, *args, **kwargs) -> HttpResponse:
    """The view's response, rendered in a transaction as ATOMIC_REQUESTS would have it (not for a view
    marked transaction.non_atomic_requests)."""
    atomic = connection.settings_dict.get("ATOMIC_REQUESTS") and connection.alias not in getattr(
        view, "_non_atomic_requests", ()
    )
    with transaction.atomic() if atomic else nullcontext():
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and not response.is_rendered:
            response.render()
    return response


def cached_page(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        key, site_zone = _key(request)
        if key is None:
            response = _rendered(view, request, *args, **kwargs)
            response[HEADER] = "bypass"
            return response
        now = timezone.now()
        entry = cache.get(key)
        if entry is not None and now < entry[0]:
            response = HttpResponse(entry[1], content_type=entry[2])
            response[HEADER] = "hit"
            return response
        deadlines: list[datetime] = []
        token = _deadlines.set(deadlines)
        try:
            response = _rendered(view, request, *args, **kwargs)
        finally:
            _deadlines.reset(token)
        content_type = response.get("Content-Type", "")
        if response.status_code == 200 and not response.streaming and content_type.startswith("text/html"):
            if not _messages_waiting(request):
                expires = _expiry(now, deadlines, site_zone)
                seconds = max(1, int((expires - now).total_seconds()) + 1)
                cache.set(key, (expires, response.content, content_type), timeout=seconds)
        response[HEADER] = "miss"
        return response

    # A page served from the cache reads nothing but the session row: no transaction around it (BEGIN
    # and COMMIT would triple its round trips). Rendering keeps ATOMIC_REQUESTS' transaction (_rendered).
    return transaction.non_atomic_requests(wrapped)
