"""Deny-by-default access for browser views.

Every view must be decorated with @requires(Cap.X) (or @public for the login page and the
health check). A view that declares nothing answers 403 to everyone, so forgetting the
decorator can never open a page. The API (/api/) is guarded by DRF's CapabilityPermission
instead, because token authentication happens inside the DRF view.
"""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse

from trialsite.roles import Cap, has_cap

SECOND_FACTOR_STEP = "trialsite_second_factor"  # trialsite.two_factor.SESSION_STEP


def requires(*caps: Cap) -> Callable:
    """The user needs at least one of `caps`."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            return view(request, *args, **kwargs)

        wrapped.required_caps = tuple(caps)
        return wrapped

    return decorate


def public(view):
    view.public = True
    return view


def second_factor_step(view):
    """A page open while the login waits for its second factor (trialsite.two_factor)."""
    view.second_factor_step = True
    return view


class AccessMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith("/api/"):
            return None  # DRF: authentication + CapabilityPermission (deny by default)
        if getattr(view_func, "public", False):
            return None
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        step = getattr(request, "session", {}).get(SECOND_FACTOR_STEP)
        if step and not getattr(view_func, "second_factor_step", False):
            target = reverse("two_factor_verify" if step == "verify" else "two_factor_enrol")
            return redirect(f"{target}?next={request.get_full_path()}")
        if request.path.startswith("/admin/"):
            return None  # the admin site checks is_staff/permissions itself
        caps = getattr(view_func, "required_caps", None)
        if not caps or not any(has_cap(request.user, cap) for cap in caps):
            raise PermissionDenied
        return None
