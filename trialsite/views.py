from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.exceptions import RequestDataTooBig
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

from trialsite import errors
from trialsite.access import public, requires, second_factor_step
from trialsite.roles import Cap, Role, primary_role


@public
@never_cache
@require_GET
@transaction.non_atomic_requests
def healthz(request: HttpRequest) -> JsonResponse:
    """Readiness for load balancers and docker-compose: the database (503 when it is down). The broker's
    state is reported too, but a web process whose broker is down still serves every page (tasks are
    enqueued on commit and retried), so it stays in service: /healthz/broker is that check of its own."""
    database, broker = _database_ok(), _broker_ok()
    body = {"status": "ok" if database else "unavailable", "database": _state(database), "broker": _state(broker)}
    return JsonResponse(body, status=200 if database else 503)


@public
@never_cache
@require_GET
@transaction.non_atomic_requests
def healthz_broker(request: HttpRequest) -> JsonResponse:
    """The Celery broker's reachability (503 when down): for monitoring, and for the worker and beat."""
    broker = _broker_ok()
    return JsonResponse(
        {"status": "ok" if broker else "unavailable", "broker": _state(broker)}, status=200 if broker else 503
    )


def _state(ok: bool) -> str:
    return "ok" if ok else "down"


@public
@never_cache
@require_GET
@transaction.non_atomic_requests
def liveness(request: HttpRequest) -> JsonResponse:
    """The process answers (no database or broker check): for container liveness probes."""
    return JsonResponse({"status": "ok"})


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def _broker_ok() -> bool:
    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            connect_timeout=2,
        ) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        return False


logout = second_factor_step(requires(Cap.HOME)(auth_views.LogoutView.as_view()))


# The home page of a role whose day starts from a work list (named by URL: the ground imports no app).
HOME_PAGES = {Role.COORDINATOR: "desk:grid", Role.INVESTIGATOR: "desk:todo"}


@requires(Cap.HOME)
def home(request: HttpRequest) -> HttpResponse:
    role = primary_role(request.user)
    if role in HOME_PAGES and "overview" not in request.GET:
        try:
            return redirect(HOME_PAGES[role])
        except NoReverseMatch:
            pass
    return render(request, "home.html", {"primary_role": role})


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        return errors.too_large(request)
    if errors.is_api(request):
        return errors.json_error(_("Bad request."), 400)
    return render(request, "400.html", status=400)


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    if errors.is_api(request):
        return errors.json_error(_("You do not have permission to perform this action."), 403)
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    if errors.is_api(request):
        return errors.json_error(_("Not found."), 404)
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if errors.database_unavailable(errors.current_exception()):
        return errors.unavailable(request)
    if errors.is_api(request):
        return errors.json_error(_("Server error."), 500)
    return render(request, "500.html", status=500)
