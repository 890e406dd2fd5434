"""Database-level guards for the audit trail on PostgreSQL.

History rows are insert-only: a trigger on every django-simple-history table refuses UPDATE
and DELETE, so not even a bug or a hand-written query in the app can rewrite the past.
(TRUNCATE, used only when a test database is reset, is not a row operation.)

A trigger only binds who cannot remove it: in production the application connects with a role of
its own (DB_APP_ROLE) that owns nothing and is no superuser, so it cannot disable triggers,
truncate or set session_replication_role. `migrate`, run as the owner, grants that role what the
application needs: SELECT, INSERT, UPDATE, DELETE on its tables, but only SELECT and INSERT on the
history tables.
"""

from django.conf import settings
from django.db import connections

from trialsite import chain

FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION trialsite_history_is_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit trail rows in % cannot be changed or deleted', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def history_tables() -> list[str]:
    """The history table of every audited model (trialsite.audit), of whatever app."""
    return [model._meta.db_table for model in chain.history_models()]


def protect_history_tables(using="default", **kwargs) -> None:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(FUNCTION_SQL)
        for table in history_tables():
            cursor.execute(f'DROP TRIGGER IF EXISTS trialsite_append_only ON "{table}"')
            cursor.execute(
                f'CREATE TRIGGER trialsite_append_only BEFORE UPDATE OR DELETE ON "{table}" '
                "FOR EACH ROW EXECUTE FUNCTION trialsite_history_is_append_only()"
            )


def grant_application_role(using="default", **kwargs) -> None:
    """Give the application's database role (DB_APP_ROLE) exactly the rights it needs (after migrate)."""
    connection = connections[using]
    role = getattr(settings, "DB_APP_ROLE", "")
    if not role or connection.vendor != "postgresql":
        return
    name = connection.ops.quote_name(role)
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {name}")
        cursor.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {name}")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {name}")
        for table in history_tables():
            cursor.execute(f'REVOKE UPDATE, DELETE ON "{table}" FROM {name}')
        cursor.execute(f"REVOKE INSERT, UPDATE, DELETE ON django_migrations FROM {name}")
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {name}")
