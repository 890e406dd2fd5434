"""The API's shared pieces: deny-by-default permissions, errors, paging, ETag / If-Match."""

import re
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Page
from django.db import IntegrityError, connections, transaction
from django.http import Http404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, pagination, permissions, status

from trialsite.audit import EditConflict, RecordLocked
from trialsite.reauth import PasswordRejected
from trialsite.roles import Cap, has_cap

IF_MATCH_REQUIRED = _(
    'This request changes a saved record: send the If-Match header with the ETag you read (e.g. If-Match: "3"); '
    "every GET, POST and PATCH response carries it in its ETag header."
)
READ_ONLY_FIELD = _("This field is derived or assigned by the system and cannot be changed.")
VERSION_FIELD = _("The version cannot be sent: send the ETag you read in the If-Match header instead.")
UNKNOWN_FIELD = _("Unknown field.")
_ENTITY_TAG = re.compile(r'\s*(W/)?"([^"]*)"\s*(?:,|$)')


class CapabilityPermission(permissions.BasePermission):
    """Deny by default: a view must name the capability each HTTP method needs.

    Views set `capabilities = {"GET": Cap.VIEW_CLINICAL, "POST": Cap.ENTER_DATA, ...}`
    (or `capabilities_by_action` for viewset actions). Anything unnamed is refused.
    """

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            raise exceptions.NotAuthenticated()
        method = request.method.lower()
        if method not in view.http_method_names or not hasattr(view, method):
            # A method the resource does not have is 405 with Allow (DRF adds the header), for every role.
            raise exceptions.MethodNotAllowed(request.method)
        cap = self.required(request, view)
        return cap is not None and any(has_cap(request.user, c) for c in _as_tuple(cap))

    @staticmethod
    def required(request, view):
        action = getattr(view, "action", None)
        by_action = getattr(view, "capabilities_by_action", None) or {}
        if action and action in by_action:
            return by_action[action]
        method = "GET" if request.method in ("HEAD", "OPTIONS") else request.method
        return (getattr(view, "capabilities", None) or {}).get(method)


def _as_tuple(cap) -> tuple[Cap, ...]:
    return cap if isinstance(cap, tuple) else (cap,)


class Pagination(pagination.PageNumberPagination):
    """Page-number paging; a page past the end is an empty page (200), not an error."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except exceptions.NotFound:
            paginator = self.django_paginator_class(queryset, self.get_page_size(request))
            self.request = request
            # Just past the last page, so "previous" links to the last real page.
            self.page = Page([], paginator.num_pages + 1, paginator)
            return []


@contextmanager
def _outside_transactions_of_non_atomic_views(context):
    """DRF marks every open atomic block for rollback when it answers an error, taking it for the
    request's own (ATOMIC_REQUESTS). A view marked non_atomic_requests has none: an open block there
    is an enclosing caller's, and it keeps its state."""
    match = getattr(context.get("request"), "resolver_match", None)
    aliases = getattr(getattr(match, "func", None), "_non_atomic_requests", ())
    kept = {alias: connections[alias].needs_rollback for alias in aliases if connections[alias].in_atomic_block}
    try:
        yield
    finally:
        for alias, needs_rollback in kept.items():
            transaction.set_rollback(needs_rollback, using=alias)


# --- Optimistic concurrency: ETag and If-Match ------------------------------------------------------


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_detail = IF_MATCH_REQUIRED
    default_code = "precondition_required"


class PreconditionFailed(exceptions.APIException):
    """412: the record is no longer at the version the client read; `etag` is the current one."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _("The record was changed after you read it: read it again and re-apply your change.")
    default_code = "precondition_failed"

    def __init__(self, detail=None, *, etag: str | None = None):
        super().__init__(detail)
        self.etag = etag


class Locked(exceptions.APIException):
    """423: the record is locked; the detail names who locked it and when."""

    status_code = 423
    default_detail = _("The record is locked.")
    default_code = "locked"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The record was changed by someone else while this request ran: read it again.")
    default_code = "conflict"


def etag(version: int) -> str:
    """The ETag of a record: its version, quoted (a strong entity tag)."""
    return f'"{version}"'


def if_match_version(request, record, *, required: bool = True) -> int | None:
    """The version the client read, from If-Match, checked against `record` (None: no record yet).

    Missing: 428 when `required`, else None. Not the record's current version (stale, weak, `*`,
    malformed, or a record that does not exist yet): 412 with the current ETag. The check here is
    a quick answer; the write door checks the returned version again under a lock.
    """
    header = request.headers.get("If-Match", "").strip()
    if not header:
        if required:
            raise PreconditionRequired()
        return None
    if header == "*":
        raise PreconditionRequired(gettext("If-Match: * is not enough here. %(rule)s") % {"rule": IF_MATCH_REQUIRED})
    current = None if record is None else record.version
    strong = [tag for weak, tag in _ENTITY_TAG.findall(header) if not weak]
    if current is not None and str(current) in strong:
        return current
    detail = gettext(
        "The record is not at the version you read (If-Match): read it again (GET) and re-apply your change."
    )
    read = [int(tag) for tag in strong if tag.isdigit()]
    if current is not None and len(read) == 1 and read[0] < current:
        detail = EditConflict(record, expected=read[0], current=current).describe()
    raise PreconditionFailed(detail, etag=None if current is None else etag(current))


def refuse_unwritable(data, *, writable, readable=()) -> None:
    """400 naming every field of a write that the client cannot set: read-only or derived (`readable`
    but not `writable`), the version (If-Match carries it), or unknown. Silently ignoring them would
    let a client believe it changed something."""
    if not isinstance(data, dict):
        return
    errors = {}
    for name in sorted(set(data) - set(writable)):
        if name == "version":
            errors[name] = [VERSION_FIELD]
        else:
            errors[name] = [READ_ONLY_FIELD if name in readable else UNKNOWN_FIELD]
    if errors:
        raise exceptions.ValidationError(errors)


def exception_handler(exc, context):
    """DRF errors plus Django's ValidationError/IntegrityError as 400 {field: [messages]}, and an
    edit conflict as 412 (the request said which version it read) or 409."""
    from rest_framework.views import exception_handler as drf_exception_handler  # DRF imports this module

    request = context.get("request")
    keep_transaction = isinstance(exc, PasswordRejected)  # its failed attempt must count (trialsite.reauth)
    if isinstance(exc, EditConflict):
        if request is not None and request.headers.get("If-Match"):
            exc = PreconditionFailed(exc.describe(), etag=etag(exc.current))
        else:
            exc = Conflict(exc.describe())
    if isinstance(exc, RecordLocked):
        exc = Locked(exc.messages[0])
    elif isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = {field: [str(m) for e in errors for m in e.messages] for field, errors in exc.error_dict.items()}
        else:
            detail = {"non_field_errors": list(exc.messages)}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, IntegrityError):
        exc = exceptions.ValidationError(
            {"non_field_errors": [gettext("This record conflicts with existing data (duplicate).")]}
        )
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    with _outside_transactions_of_non_atomic_views(context):
        response = drf_exception_handler(exc, context)
    if keep_transaction:
        for connection in connections.all(initialized_only=True):
            if connection.in_atomic_block:
                transaction.set_rollback(False, using=connection.alias)
    if response is not None and isinstance(exc, exceptions.ValidationError) and isinstance(response.data, list):
        response.data = {"non_field_errors": response.data}
    if response is not None and getattr(exc, "etag", None):
        response["ETag"] = exc.etag
    return response
