from django.db import migrations

POSTGRES_DROP = """
DROP FUNCTION IF EXISTS trialsite_data_version_move() CASCADE;
DROP FUNCTION IF EXISTS trialsite_data_version_count_write() CASCADE;
"""


def drop_triggers(apps, schema_editor):
    """The triggers that moved the data version on every write to study data and accounts (created
    outside migrations, after each migrate): dropping their functions drops them on PostgreSQL."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES_DROP)
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'trialsite_dv_%'")
            for (name,) in cursor.fetchall():
                cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("trialsite", "0003_dataversion")]

    operations = [
        migrations.RunPython(drop_triggers, migrations.RunPython.noop, elidable=True),
        migrations.DeleteModel(name="DataVersion"),
    ]
