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

from trialsite.roles import Cap, has_cap


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
        if request.path.startswith("/admin/"):
            return None  # the admin site checks is_staff/permissions itself
        caps = getattr(view_func, "required_caps", None)
        if not caps or not any(has_cap(request.user, cap) for cap in caps):
            raise PermissionDenied
        return None
