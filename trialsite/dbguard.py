"""A database-level guard for the audit trail on PostgreSQL.

History rows are insert-only: a trigger on every django-simple-history table refuses UPDATE
and DELETE, so not even a bug or a hand-written query in the app can rewrite the past.
(TRUNCATE, used only when a test database is reset, is not a row operation.)
"""

from django.apps import apps
from django.db import connections

FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION trialsite_history_is_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit trail rows in % cannot be changed or deleted', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def history_tables() -> list[str]:
    return sorted(
        model._meta.db_table
        for model in apps.get_models()
        if model.__name__.startswith("Historical")
        and model._meta.app_label in {"subjects", "assessments", "dosing", "safety"}
    )


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
