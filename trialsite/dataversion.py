"""The data version: counters that move with every committed write to study data and accounts.

Cached pages (trialsite.pagecache), the cached signed-in user (trialsite.authentication) and the
DMC dashboard's figures are keyed by it, so they are served from the cache only while nothing they
could show has changed. Triggers in the database move it, not application code: a bulk `.update()`,
the reminder sweep, a Celery task or a hand-written query invalidate the cache exactly like a form.

Two scopes, one counter row each: STUDY (every table of the clinical apps) and ACCOUNTS (users,
their groups, the groups: names, roles and active flags appear on pages). A login writes
last_login: it moves ACCOUNTS only, so the dashboard's figures, which read no account, stay cached.

PostgreSQL: a deferred constraint trigger on every such table runs at COMMIT and moves its scope's
counter once per transaction. Taken at commit, the row lock on the counter is held only for the
commit itself, and it is the last lock any transaction takes, so it cannot join a deadlock. The
counter is read like any other row: a reader sees the new version only together with the data that
moved it, so a page rendered after reading version V shows at least the data of V and never caches
old data under a new version. A statement trigger also counts the writing statements of the current
transaction per scope (a transaction-local setting, rolled back with a savepoint): a transaction
that reads after writing sees its own, not yet committed, changes as a new version.

SQLite (the embedded development database): row triggers move the counter within the writing
transaction; SQLite has one writer at a time.
"""

from django.apps import apps
from django.db import connections

STUDY, ACCOUNTS = 1, 2  # scopes: the id of their counter row
BOTH = (STUDY, ACCOUNTS)
CLINICAL_APPS = ("subjects", "assessments", "dosing", "safety")
AUTH_TABLES = ("auth_user", "auth_user_groups", "auth_group")
TABLE = "trialsite_dataversion"
MOVED = "trialsite.data_version_moved_"  # + scope: 'on' once this transaction has moved the counter
WRITES = "trialsite.data_version_writes_"  # + scope: writing statements so far in this transaction

POSTGRES_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION trialsite_data_version_move() RETURNS trigger AS $$
DECLARE
    moved text := '{MOVED}' || TG_ARGV[0];
BEGIN
    IF current_setting(moved, true) IS DISTINCT FROM 'on' THEN
        PERFORM set_config(moved, 'on', true);
        INSERT INTO {TABLE} (id, counter) VALUES (TG_ARGV[0]::bigint, 1)
            ON CONFLICT (id) DO UPDATE SET counter = {TABLE}.counter + 1;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION trialsite_data_version_count_write() RETURNS trigger AS $$
DECLARE
    writes text := '{WRITES}' || TG_ARGV[0];
BEGIN
    PERFORM set_config(
        writes, (COALESCE(NULLIF(current_setting(writes, true), ''), '0')::bigint + 1)::text, true
    );
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


def versioned_tables() -> dict[str, int]:
    """Table -> scope: every table of the clinical apps (many-to-many tables included) without their
    history tables (a history row is only ever written together with the row it describes), and the
    account tables."""
    tables = {
        model._meta.db_table: STUDY
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in CLINICAL_APPS and not model.__name__.startswith("Historical")
    }
    return dict(sorted({**tables, **dict.fromkeys(AUTH_TABLES, ACCOUNTS)}.items()))


def install_triggers(using="default", **kwargs) -> None:
    """post_migrate: (re)create the triggers, so tables added by later migrations get them too."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES_FUNCTIONS)
            for table, scope in versioned_tables().items():
                cursor.execute(f'DROP TRIGGER IF EXISTS trialsite_data_version ON "{table}"')
                cursor.execute(
                    f'CREATE CONSTRAINT TRIGGER trialsite_data_version AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
                    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
                    f"EXECUTE FUNCTION trialsite_data_version_move('{scope}')"
                )
                cursor.execute(f'DROP TRIGGER IF EXISTS trialsite_data_version_writes ON "{table}"')
                cursor.execute(
                    f'CREATE TRIGGER trialsite_data_version_writes AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
                    f"FOR EACH STATEMENT EXECUTE FUNCTION trialsite_data_version_count_write('{scope}')"
                )
        elif connection.vendor == "sqlite":
            for table, scope in versioned_tables().items():
                move = (
                    f"INSERT INTO {TABLE} (id, counter) VALUES ({scope}, 1) "
                    "ON CONFLICT (id) DO UPDATE SET counter = counter + 1;"
                )
                for operation in ("INSERT", "UPDATE", "DELETE"):
                    cursor.execute(f'DROP TRIGGER IF EXISTS "trialsite_dv_{table}_{operation.lower()}"')
                    cursor.execute(
                        f'CREATE TRIGGER "trialsite_dv_{table}_{operation.lower()}" '
                        f'AFTER {operation} ON "{table}" BEGIN {move} END'
                    )


def version_sql(vendor: str, scopes=BOTH) -> tuple[str, list]:
    """Select-list expressions giving the version of `scopes`, two per scope: the committed counter
    and, on PostgreSQL, the writing statements of this transaction not yet committed (for other
    queries to embed; as_text() turns the values into the version)."""
    columns, params = [], []
    for scope in scopes:
        columns.append(f"(SELECT counter FROM {TABLE} WHERE id = {int(scope)})")
        if vendor == "postgresql":
            columns.append("current_setting(%s, true)")
            params.append(f"{WRITES}{scope}")
        else:
            columns.append("''")
    return ", ".join(columns), params


def as_text(*values) -> str:
    """The version from version_sql's columns: counter.writes for each scope, dot-separated."""
    return ".".join(str(value or 0) for value in values)


def current(scopes=BOTH, using="default") -> str:
    """The version of `scopes` as this transaction sees it (counters 0 before the first write)."""
    connection = connections[using]
    sql, params = version_sql(connection.vendor, scopes)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql}", params)
        return as_text(*cursor.fetchone())
