"""Indexes for the participant search (`search_participants`: screening number, subject ID or USUBJID
containing the text, or the initials, case-insensitively).

Django writes `icontains` as `UPPER(col::text) LIKE UPPER('%text%')` on PostgreSQL: a trigram GIN index
on `UPPER(col::text)` serves it, and a B-tree on `UPPER(initials::text)` the `iexact`, so the OR of the
four becomes a bitmap OR of index scans instead of a sequential scan of every participant. pg_trgm is a
trusted extension (PostgreSQL 13+): the database owner may create it. SQLite (development) cannot use
an index for `LIKE '%…%'` and gets none.
"""

from django.db import migrations

TRIGRAM_COLUMNS = ("screening_number", "subject_id", "usubjid")


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in TRIGRAM_COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS participant_{column}_trgm "
            f'ON subjects_participant USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )
    schema_editor.execute(
        'CREATE INDEX IF NOT EXISTS participant_initials_upper ON subjects_participant ((UPPER("initials"::text)))'
    )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in [f"participant_{column}_trgm" for column in TRIGRAM_COLUMNS] + ["participant_initials_upper"]:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("subjects", "0002_study_configuration"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
