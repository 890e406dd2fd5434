"""Error answers: JSON under /api/ (the API promises `{"detail": …}` and never HTML), pages elsewhere.

Django's error handlers (handler400/403/404/500 in urls.py) and one middleware call these. While the
database cannot be reached every request fails with a connection error: the API then answers 503 with
`Retry-After`, pages a short 503 page that needs no database (base.html would read the session).
"""

import logging
import sys

from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

RETRY_AFTER_SECONDS = 30
DATABASE_DOWN = _("The database is unavailable; try again shortly.")
TOO_LARGE = _("The request body is too large.")


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def database_unavailable(exception: BaseException | None) -> bool:
    """A failure to reach or keep the database connection (PostgreSQL down, restarting, unreachable)."""
    return isinstance(exception, OperationalError | InterfaceError)


def json_error(detail: str, status: int, **headers) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status, headers=headers)


def unavailable(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        return json_error(DATABASE_DOWN, 503, **{"Retry-After": str(RETRY_AFTER_SECONDS)})
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def current_exception() -> BaseException | None:
    """The exception being handled: Django calls handler500 inside its except block."""
    return sys.exc_info()[1]


def too_large(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        return json_error(TOO_LARGE, 413)
    return HttpResponse(render_to_string("413.html"), status=413)


class ApiRequestBodyMiddleware:
    """Reads an API request's body up front, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE applies to it (DRF's
    parsers read the stream, past that check): a body over the limit is a JSON 413, never parsed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_api(request) and request.method in ("POST", "PUT", "PATCH", "DELETE"):
            try:
                request.body  # noqa: B018  (Django checks the size while reading)
            except RequestDataTooBig:
                return too_large(request)
        return self.get_response(request)


class ShortClientErrors(logging.Filter):
    """A refused request (4xx) is logged as one line: its traceback says nothing about a fault of ours."""

    def filter(self, record: logging.LogRecord) -> bool:
        if 400 <= getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
