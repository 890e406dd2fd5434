"""The API's shared pieces: deny-by-default permissions, errors, paging."""

from contextlib import contextmanager

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Page
from django.db import IntegrityError, connections, transaction
from django.http import Http404
from rest_framework import exceptions, pagination, permissions

from trialsite.roles import Cap, has_cap


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


def exception_handler(exc, context):
    """DRF errors plus Django's ValidationError/IntegrityError as 400 {field: [messages]}."""
    from rest_framework.views import exception_handler as drf_exception_handler  # DRF imports this module

    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = {field: [str(m) for e in errors for m in e.messages] for field, errors in exc.error_dict.items()}
        else:
            detail = {"non_field_errors": list(exc.messages)}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, IntegrityError):
        exc = exceptions.ValidationError(
            {"non_field_errors": ["This record conflicts with existing data (duplicate)."]}
        )
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    with _outside_transactions_of_non_atomic_views(context):
        response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError) and isinstance(response.data, list):
        response.data = {"non_field_errors": response.data}
    return response
