"""Foundation: login, role matrix of the base pages, lockout, health check, settings refusal."""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from tests.conftest import PASSWORD, logged_in
from trialsite.roles import CAPABILITIES, Cap, Role

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_roles_exist_as_groups(db):
    from django.contrib.auth.models import Group

    assert set(Group.objects.values_list("name", flat=True)) >= {r.value for r in Role}


def test_anonymous_is_sent_to_login(client, db):
    for url in ("/", "/accounts/profile/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/?next=")


def test_login_page_and_health_check_are_public(client, db):
    assert client.get("/accounts/login/").status_code == 200
    assert client.get("/healthz").status_code in (200, 503)


@pytest.mark.parametrize(
    "persona", ["coordinator", "investigator", "data_manager", "dmc_reviewer", "api_client_user", "administrator"]
)
def test_every_role_reaches_home_and_profile(persona, personas):
    client = logged_in(personas[persona])
    assert client.get("/", follow=True).status_code == 200  # coordinators and investigators land on their work list
    assert client.get("/accounts/profile/").status_code == 200


def test_a_user_without_role_is_denied_everything(outsider):
    client = logged_in(outsider)
    assert client.get("/").status_code == 403
    assert client.get("/accounts/profile/").status_code == 403


def test_admin_site_only_for_admin(personas):
    assert logged_in(personas["administrator"]).get("/admin/").status_code == 200
    for persona in ("coordinator", "investigator", "data_manager", "dmc_reviewer", "api_client_user"):
        response = logged_in(personas[persona]).get("/admin/")
        assert response.status_code == 302 and "/admin/login/" in response.url


def test_a_view_without_declared_capability_is_denied(rf, coordinator):
    """Deny by default: the middleware refuses any view that names no capability."""
    from trialsite.access import AccessMiddleware

    def undeclared_view(request):  # pragma: no cover - must never run
        raise AssertionError("reached")

    request = rf.get("/somewhere/")
    request.user = coordinator
    with pytest.raises(Exception) as excinfo:
        AccessMiddleware(lambda r: None).process_view(request, undeclared_view, (), {})
    assert excinfo.type.__name__ == "PermissionDenied"


def test_every_url_declares_access(db):
    """Every non-admin, non-API URL pattern is either public or names its capabilities."""
    from django.urls import get_resolver

    def walk(patterns, prefix=""):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern), p.callback

    undeclared = [
        route
        for route, view in walk(get_resolver().url_patterns)
        if not route.startswith(("admin/", "api/"))
        and not getattr(view, "public", False)
        and not getattr(view, "required_caps", None)
    ]
    assert undeclared == []


def test_permission_matrix_covers_every_capability():
    assert set(CAPABILITIES) == set(Cap)
    assert CAPABILITIES[Cap.SIGN_OFF] == {Role.INVESTIGATOR}
    assert CAPABILITIES[Cap.RELEASE_HOLD] == {Role.INVESTIGATOR}
    assert Role.DMC_REVIEWER not in CAPABILITIES[Cap.ENTER_DATA]
    assert Role.DMC_REVIEWER not in CAPABILITIES[Cap.VIEW_CLINICAL]


def test_login_and_logout(client, coordinator):
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/?overview").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    ("change", "status"),
    [
        pytest.param(lambda user: type(user).objects.filter(pk=user.pk).update(is_active=False), 302, id="deactivated"),
        pytest.param(lambda user: user.groups.clear(), 403, id="role removed"),
        pytest.param(lambda user: (user.set_password("another secret 1!"), user.save()), 302, id="password changed"),
    ],
)
def test_a_change_to_the_account_applies_to_the_next_request(coordinator, change, status):
    client = logged_in(coordinator)
    assert client.get("/participants/").status_code == 200
    change(coordinator)
    response = client.get("/participants/")
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith("/accounts/login/")


def test_account_locks_after_five_failed_logins(client, coordinator):
    for _ in range(5):
        response = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429
    assert b"Account locked" in response.content
    assert client.get("/").status_code == 302  # still not logged in


def test_four_failures_then_success_does_not_lock(client, coordinator):
    for _ in range(4):
        client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302


def test_session_ends_after_thirty_idle_minutes(client, coordinator):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
        clock.move_to(start + timedelta(minutes=29))
        assert client.get("/?overview").status_code == 200  # activity keeps the session alive
        clock.move_to(start + timedelta(minutes=29 + 29))
        assert client.get("/?overview").status_code == 200
        clock.move_to(start + timedelta(minutes=58 + 31))  # 31 idle minutes
        response = client.get("/")
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_liveness_needs_no_login_and_no_database(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz/live")
    assert response.json() == {"status": "ok"}


def test_healthz_up(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_healthz_is_ready_while_only_the_broker_is_down(client, db, settings):
    """Readiness is the database: a web process whose broker is down still serves pages (tasks queue up
    once it is back), so a load balancer keeps it; the broker has a check of its own."""
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 0}
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "down"}
    broker = client.get("/healthz/broker")
    assert broker.status_code == 503 and broker.json() == {"status": "unavailable", "broker": "down"}


def test_healthz_broker_check_up(client, db):
    response = client.get("/healthz/broker")
    assert response.status_code == 200 and response.json() == {"status": "ok", "broker": "ok"}


def test_healthz_reports_database_down():
    """A real unreachable database (nothing listens on port 1), checked in a fresh process."""
    code = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz');"
        "print(r.status_code, json.dumps(r.json(), sort_keys=True))"
    )
    env = {k: v for k, v in os.environ.items() if k != "CELERY_BROKER_URL"}
    env.update(
        {"DJANGO_SETTINGS_MODULE": "trialsite.settings", "DATABASE_URL": "postgres://postgres@127.0.0.1:1/nothing"}
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.strip().splitlines()[-1] == (
        '503 {"broker": "ok", "database": "down", "status": "unavailable"}'
    ), result.stderr


def _run_check(env_overrides: dict, *args: str) -> subprocess.CompletedProcess:
    excluded = {"DATABASE_URL", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in excluded}
    env.pop("PYTEST_VERSION", None)
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"])
def test_production_mode_refuses_to_start_without(missing):
    env = {
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "trialsite.example.org",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    }
    del env[missing]
    result = _run_check(env)
    assert result.returncode != 0
    assert missing in result.stderr


# Production passing `check --deploy` needs the application's own database role: tests/test_database_roles.py.


def test_malformed_boolean_setting_is_refused():
    result = _run_check({"DJANGO_DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be a boolean" in result.stderr


def test_migrations_are_complete(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_study_configuration_is_loaded(study):
    assert study.study_id == "S2018-11"
    assert study.enrollment_target == 5
    assert study.dose_per_kg_cells == 2_000_000
    assert study.time_zone == "Asia/Shanghai"
    codes = [(d.code, d.visitnum, d.week) for d in study.visit_definitions.all()]
    assert codes == [
        ("SCR", 0, None),
        ("W0", 1, 0),
        ("W2", 2, 2),
        ("W4", 3, 4),
        ("W6", 4, 6),
        ("W8", 5, 8),
        ("W12", 6, 12),
    ]
    assert study.history.get().history_change_reason.startswith("Initial study configuration")


def test_demo_accounts_command(db, settings, capsys):
    settings.DEBUG = settings.TRIALSITE_DEMO = True
    call_command("setup_demo")
    call_command("setup_demo")  # idempotent
    from django.contrib.auth.models import User

    assert User.objects.get(username="dmc").groups.get().name == "dmc_reviewer"
    assert User.objects.get(username="admin").is_superuser
    assert "trialsite-demo" in capsys.readouterr().out


def test_demo_accounts_refused_outside_demo_mode(db, settings):
    from django.core.management.base import CommandError

    settings.DEBUG, settings.TRIALSITE_DEMO = True, False
    with pytest.raises(CommandError):
        call_command("setup_demo")


def test_reverse_of_core_urls():
    assert reverse("healthz") == "/healthz"
    assert reverse("login") == "/accounts/login/"
