"""Two database roles: the owner runs the migrations; the application's role may read and write what
it needs but only append to the audit trail, and cannot disable triggers, truncate or replicate its
way around them. Production's `check --deploy` refuses a superuser or an owner of the history tables.

The roles and the database are made by the same init script docker-compose runs, named after this
test run's database so parallel runs on one server never meet.
"""

import os
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from psycopg2 import errors

from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parent.parent
INIT_SCRIPT = ROOT / "deploy" / "postgres" / "init-roles.sh"
pytestmark = pytest.mark.postgres


def _server() -> dict:
    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith("postgresql"):
        if IN_CI:
            pytest.fail("the database role tests need PostgreSQL")
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://...)")
    return {"host": db.get("HOST") or "127.0.0.1", "port": str(db.get("PORT") or 5432), "user": db["USER"]}


@pytest.fixture(scope="module")
def roles():
    server = _server()
    base = settings.DATABASES["default"]["NAME"].removeprefix("test_")
    names = {"db": f"{base}_roles", "owner": f"{base}_owner", "app": f"{base}_app"}
    admin = psycopg2.connect(dbname="postgres", **server)
    admin.autocommit = True

    def drop():
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{names["db"]}" WITH (FORCE)')
            for role in (names["app"], names["owner"]):
                cursor.execute(f'DROP ROLE IF EXISTS "{role}"')

    drop()
    env = {
        **os.environ,
        "PGHOST": server["host"],
        "PGPORT": server["port"],
        "POSTGRES_USER": server["user"],
        "TRIALSITE_DB": names["db"],
        "TRIALSITE_OWNER": names["owner"],
        "TRIALSITE_OWNER_PASSWORD": "owner-secret",
        "TRIALSITE_APP": names["app"],
        "TRIALSITE_APP_PASSWORD": "app-secret",
    }
    subprocess.run(["sh", str(INIT_SCRIPT)], env=env, check=True, capture_output=True, text=True, timeout=60)
    url = f"postgres://{{user}}:{{password}}@{server['host']}:{server['port']}/{names['db']}"
    names["owner_url"] = url.format(user=names["owner"], password="owner-secret")
    names["app_url"] = url.format(user=names["app"], password="app-secret")
    names["superuser_url"] = f"postgres://{server['user']}@{server['host']}:{server['port']}/{names['db']}"
    names["server"] = server
    migrated = manage(["migrate", "--noinput"], DATABASE_URL=names["owner_url"], DB_APP_ROLE=names["app"])
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    yield names
    drop()
    admin.close()


def manage(args: list[str], **env_overrides) -> subprocess.CompletedProcess:
    excluded = {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "PYTEST_VERSION", "DB_APP_ROLE"}
    env = {k: v for k, v in os.environ.items() if k not in excluded}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def production(url: str) -> dict:
    return {
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": "k3y-" + "a1b2c3d4e5f6g7h8" * 4,
        "ALLOWED_HOSTS": "trialsite.example.org",
        "DATABASE_URL": url,
    }


def app_cursor(roles):
    conn = psycopg2.connect(
        dbname=roles["db"], user=roles["app"], password="app-secret", host=roles["server"]["host"],
        port=roles["server"]["port"],
    )  # fmt: skip
    conn.autocommit = True
    return conn


@pytest.mark.parametrize(
    "statement, error",
    [
        ("SET session_replication_role = replica", errors.InsufficientPrivilege),
        ('ALTER TABLE "subjects_historicalparticipant" DISABLE TRIGGER ALL', errors.InsufficientPrivilege),
        (
            'ALTER TABLE "subjects_historicalparticipant" DISABLE TRIGGER trialsite_append_only',
            errors.InsufficientPrivilege,
        ),
        ('TRUNCATE "subjects_historicalparticipant"', errors.InsufficientPrivilege),
        ("UPDATE \"subjects_historicalparticipant\" SET initials = 'ZZ'", errors.InsufficientPrivilege),
        ('DELETE FROM "safety_historicaladverseevent"', errors.InsufficientPrivilege),
        ('DROP TRIGGER trialsite_append_only ON "subjects_historicalparticipant"', errors.InsufficientPrivilege),
        ('DROP TABLE "subjects_historicalvisit"', errors.InsufficientPrivilege),
    ],
)
def test_the_application_role_cannot_rewrite_the_audit_trail(roles, statement, error):
    conn = app_cursor(roles)
    try:
        with conn.cursor() as cursor, pytest.raises(error):
            cursor.execute(statement)
    finally:
        conn.close()


def test_every_history_table_is_append_only_for_the_application_role(roles):
    """Those of record types added later too: only SELECT and INSERT, and the trigger on each."""
    listed = manage(
        ["shell", "-c", "from trialsite.dbguard import history_tables; print(' '.join(history_tables()))"],
        DATABASE_URL=roles["owner_url"],
    )
    tables = listed.stdout.strip().splitlines()[-1].split()  # the last line: shell may print a banner first
    assert {"labs_historicallabresult", "medications_historicalwashoutoverride"} <= set(tables), listed.stderr
    conn = app_cursor(roles)
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT table_name, string_agg(privilege_type, ',' ORDER BY privilege_type) "
                "FROM information_schema.role_table_grants WHERE grantee = %s AND table_name = ANY(%s) "
                "GROUP BY table_name",
                [roles["app"], tables],
            )
            grants = dict(cursor.fetchall())
            cursor.execute(
                "SELECT DISTINCT event_object_table FROM information_schema.triggers "
                "WHERE trigger_name = 'trialsite_append_only'"
            )
            triggered = {name for (name,) in cursor.fetchall()}
    finally:
        conn.close()
    assert grants == dict.fromkeys(tables, "INSERT,SELECT")
    assert triggered >= set(tables)


def test_the_application_role_appends_history_and_works_normally(roles):
    script = (
        "from datetime import date; from django.contrib.auth.models import User; "
        "from subjects import services; "
        "u = User.objects.create_user('alice'); "
        "p = services.participant_register(user=u, initials='AB', sex='F', date_of_birth=date(1980, 1, 1), "
        "consent_date=date(2024, 1, 2), consent_version='1.0'); "
        "p = services.participant_update(participant=p, user=u, reason='Typo', expected_version=1, initials='AC'); "
        "print(p.version)"
    )
    result = manage(["shell", "-c", script], DATABASE_URL=roles["app_url"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == "2"
    verified = manage(["verify_audit"], DATABASE_URL=roles["app_url"])
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_production_with_the_application_role_passes_the_deploy_checks(roles):
    result = manage(["check", "--deploy", "--fail-level", "WARNING"], **production(roles["app_url"]))
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_a_superuser(roles):
    result = manage(["check", "--deploy", "--fail-level", "ERROR"], **production(roles["superuser_url"]))
    assert result.returncode != 0 and "trialsite.E001" in result.stderr


def test_production_refuses_the_owner_of_the_history_tables(roles):
    result = manage(["check", "--deploy", "--fail-level", "ERROR"], **production(roles["owner_url"]))
    assert result.returncode != 0 and "trialsite.E002" in result.stderr


def test_docker_compose_runs_the_app_with_its_own_role_and_migrates_as_owner():
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "init-roles.sh" in compose
    assert "MIGRATE_DATABASE_URL" in compose or "DB_APP_ROLE" in compose
    assert "postgres://trialsite_app:" in compose
