"""Drop the database functions that earlier versions created after `migrate` to hold SDTM dataset
statements (trialsite_sdtm_*); the exports run their statements directly."""

from django.db import migrations


def drop_sdtm_functions(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = current_schema() AND p.proname LIKE 'trialsite\\_sdtm\\_%'"
        )
        for (function,) in cursor.fetchall():
            cursor.execute(f"DROP FUNCTION {function}")


class Migration(migrations.Migration):
    dependencies = [("trialsite", "0001_initial")]

    operations = [migrations.RunPython(drop_sdtm_functions, migrations.RunPython.noop)]
