"""Shared fixtures: personas (one user per role plus an outsider) and the real browser.

Personas make permission tests read like sentences: the coordinator may register, the DMC
reviewer may not. In CI (CI=true) the real stack is required: PostgreSQL, Redis and Chromium
missing is a failure, never a skip.
"""

import importlib
import os
import shutil

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client

from trialsite.roles import Role

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "correct horse battery staple"


def pytest_sessionstart(session):
    if IN_CI:
        if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
            pytest.exit("CI must run the tests on PostgreSQL (DATABASE_URL=postgres://...)", returncode=3)
        if not os.environ.get("CELERY_BROKER_URL", "").startswith("redis"):
            pytest.exit("CI must run the tests with Redis (CELERY_BROKER_URL=redis://...)", returncode=3)


def make_user(username: str, role: Role | None) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, email=f"{username}@example.org")
    if role is not None:
        user.groups.add(Group.objects.get(name=role.value))
        if role == Role.ADMIN:
            user.is_staff = user.is_superuser = True
            user.save()
    return user


@pytest.fixture
def coordinator(db):
    return make_user("alice", Role.COORDINATOR)


@pytest.fixture
def investigator(db):
    return make_user("ivan", Role.INVESTIGATOR)


@pytest.fixture
def data_manager(db):
    return make_user("dana", Role.DATA_MANAGER)


@pytest.fixture
def dmc_reviewer(db):
    return make_user("dmitri", Role.DMC_REVIEWER)


@pytest.fixture
def api_client_user(db):
    return make_user("apollo", Role.API_CLIENT)


@pytest.fixture
def administrator(db):
    return make_user("ada", Role.ADMIN)


@pytest.fixture
def monitor(db):
    """Monica is the study monitor (clinical research associate)."""
    return make_user("monica", Role.MONITOR)


@pytest.fixture
def outsider(db):
    """Charlie has an account but no study role."""
    return make_user("charlie", None)


PERSONAS = (
    "coordinator",
    "investigator",
    "data_manager",
    "dmc_reviewer",
    "api_client_user",
    "administrator",
    "outsider",
)


@pytest.fixture
def personas(coordinator, investigator, data_manager, dmc_reviewer, api_client_user, administrator, outsider):
    return {
        "coordinator": coordinator,
        "investigator": investigator,
        "data_manager": data_manager,
        "dmc_reviewer": dmc_reviewer,
        "api_client_user": api_client_user,
        "administrator": administrator,
        "outsider": outsider,
    }


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def study(db):
    from subjects.models import Study

    return Study.current()


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def require_postgres(db):
    if not is_postgres():
        if IN_CI:
            pytest.fail("this test needs PostgreSQL")
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://...)")


# --- Browser ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if IN_CI:
            pytest.fail(f"Chromium not found at {CHROMIUM}: the browser tests cannot run")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; Django's ORM calls made by
    # fixtures and test bodies here are ordinary synchronous calls.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
            ],
        )
        yield browser
        browser.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(browser, live_server, settings):
    """A fresh browser tab on the live server."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def browser_login(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Transactional tests (live server, Celery worker) flush every table afterwards, which also
    removes the roles and the study configuration that migrations load: load them again."""
    marker = request.node.get_closest_marker("django_db")
    transactional = {"transactional_db", "live_server"} & set(request.fixturenames) or (
        marker is not None and marker.kwargs.get("transaction")
    )
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    importlib.import_module("trialsite.migrations.0002_roles").create_roles(apps, None)
    importlib.import_module("trialsite.migrations.0006_monitor_role").create_monitor_role(apps, None)
    importlib.import_module("subjects.migrations.0002_study_configuration").load(apps, None)
    importlib.import_module("labs.migrations.0002_site_normal_ranges").load(apps, None)


@pytest.fixture(autouse=True)
def _fast_tests(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.AXES_ENABLED = True


@pytest.fixture(autouse=True)
def _fresh_figures():
    """Each test starts without cached figures: a rolled-back test's writes never committed, so they
    never made its figures stale (trialsite.figures)."""
    from trialsite import figures

    figures.new_generation()


def pytest_terminal_summary(terminalreporter):
    """Without Chromium the browser tests are skipped (locally; in CI they fail): say so loudly."""
    if IN_CI or os.path.exists(CHROMIUM):
        return
    skipped = [r.nodeid for r in terminalreporter.stats.get("skipped", []) if "browser" in r.keywords]
    if skipped:
        title = f"{len(skipped)} BROWSER TESTS SKIPPED: Chromium is missing"
        terminalreporter.write_sep("!", title, red=True, bold=True)
        terminalreporter.write_line("Install it (Debian: apt-get install chromium) or set CHROMIUM_PATH. Skipped:")
        for nodeid in skipped:
            terminalreporter.write_line(f"  {nodeid}")
