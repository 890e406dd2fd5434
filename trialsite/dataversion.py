"""The study-data version: a counter that moves with every committed write to study data.

Cached pages (trialsite.pagecache) are keyed by it, so a page is served from the cache only
while nothing it could show has changed. Triggers in the database move it, not application code:
a bulk `.update()`, the reminder sweep, a Celery task or a hand-written query invalidate the cache
exactly like a form does.

PostgreSQL: a deferred constraint trigger on every table of the clinical apps and on the user and
role tables runs at COMMIT and moves the counter once per transaction. Taken at commit, the row
lock on the counter is held only for the commit itself, and it is the last lock any transaction
takes, so it cannot join a deadlock. The counter is read like any other row: a reader sees the
new version only together with the data that moved it, so a page rendered after reading version
V shows at least the data of V and never caches old data under a new version. A statement
trigger also counts the writing statements of the current transaction (a transaction-local
setting, rolled back with a savepoint): a transaction that reads after writing sees its own,
not yet committed, changes as a new version.

SQLite (the embedded development database): row triggers move the counter within the writing
transaction; SQLite has one writer at a time.
"""

from django.apps import apps
from django.db import connections

CLINICAL_APPS = ("subjects", "assessments", "dosing", "safety")
# Names, roles and active flags of users appear on pages (sign-offs, reviewers, the menu).
AUTH_TABLES = ("auth_user", "auth_user_groups", "auth_group")
TABLE = "trialsite_dataversion"
MOVED = "trialsite.data_version_moved"  # 'on' once this transaction has moved the counter
WRITES = "trialsite.data_version_writes"  # writing statements so far in this transaction

POSTGRES_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION trialsite_data_version_move() RETURNS trigger AS $$
BEGIN
    IF current_setting('{MOVED}', true) IS DISTINCT FROM 'on' THEN
        PERFORM set_config('{MOVED}', 'on', true);
        INSERT INTO {TABLE} (id, counter) VALUES (1, 1)
            ON CONFLICT (id) DO UPDATE SET counter = {TABLE}.counter + 1;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION trialsite_data_version_count_write() RETURNS trigger AS $$
BEGIN
    PERFORM set_config(
        '{WRITES}', (COALESCE(NULLIF(current_setting('{WRITES}', true), ''), '0')::bigint + 1)::text, true
    );
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""
SQLITE_MOVE = f"INSERT INTO {TABLE} (id, counter) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET counter = counter + 1;"


def versioned_tables() -> list[str]:
    """Every table of the clinical apps (many-to-many tables included), without their history
    tables: a history row is only ever written together with the row it describes."""
    tables = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in CLINICAL_APPS and not model.__name__.startswith("Historical")
    }
    return sorted(tables | set(AUTH_TABLES))


def install_triggers(using="default", **kwargs) -> None:
    """post_migrate: (re)create the triggers, so tables added by later migrations get them too."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES_FUNCTIONS)
            for table in versioned_tables():
                cursor.execute(f'DROP TRIGGER IF EXISTS trialsite_data_version ON "{table}"')
                cursor.execute(
                    f'CREATE CONSTRAINT TRIGGER trialsite_data_version AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
                    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION trialsite_data_version_move()"
                )
                cursor.execute(f'DROP TRIGGER IF EXISTS trialsite_data_version_writes ON "{table}"')
                cursor.execute(
                    f'CREATE TRIGGER trialsite_data_version_writes AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
                    "FOR EACH STATEMENT EXECUTE FUNCTION trialsite_data_version_count_write()"
                )
        elif connection.vendor == "sqlite":
            for table in versioned_tables():
                for operation in ("INSERT", "UPDATE", "DELETE"):
                    cursor.execute(
                        f'CREATE TRIGGER IF NOT EXISTS "trialsite_dv_{table}_{operation.lower()}" '
                        f'AFTER {operation} ON "{table}" BEGIN {SQLITE_MOVE} END'
                    )


def version_sql(vendor: str) -> tuple[str, list]:
    """Two select-list expressions giving the version: the committed counter and, on PostgreSQL,
    the writing statements of this transaction not yet committed (for other queries to embed)."""
    counter = f"(SELECT counter FROM {TABLE} WHERE id = 1)"
    if vendor == "postgresql":
        return f"{counter}, current_setting(%s, true)", [WRITES]
    return f"{counter}, ''", []


def as_text(counter, writes) -> str:
    return f"{counter or 0}.{writes or 0}"


def current(using="default") -> str:
    """The version as this transaction sees it (counter 0 before the first write). One query."""
    connection = connections[using]
    sql, params = version_sql(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql}", params)
        return as_text(*cursor.fetchone())
