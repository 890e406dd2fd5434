import heapq

from django.db import migrations, models

from trialsite import chain

BATCH = 500


def chain_existing_rows(apps, schema_editor):
    """History rows written before the chain existed take their places once, in the order they were
    written (time, then table, then id); rows written afterwards are chained as they are written."""
    alias = schema_editor.connection.alias
    history = [
        model for model in apps.get_models() if any(f.name == "chain_position" for f in model._meta.concrete_fields)
    ]
    if schema_editor.connection.vendor == "postgresql":  # the append-only guard: put back by post_migrate
        for model in history:
            schema_editor.execute(f'DROP TRIGGER IF EXISTS trialsite_append_only ON "{model._meta.db_table}"')
    streams = [
        model.objects.using(alias).filter(chain_position__isnull=True).order_by("history_date", "history_id").iterator()
        for model in history
    ]
    rows = heapq.merge(*streams, key=lambda row: (row.history_date, row._meta.db_table, row.history_id))
    Head = apps.get_model("trialsite", "AuditChainHead")
    last = max(
        (
            row
            for model in history
            for row in model.objects.using(alias).filter(chain_position__isnull=False).order_by("-chain_position")[:1]
        ),
        key=lambda row: row.chain_position,
        default=None,
    )  # rows chained already (a partly migrated database): go on from the last of them
    start = (last.chain_position, last.chain_hash) if last else (0, chain.GENESIS)
    head, _ = Head.objects.using(alias).get_or_create(
        pk=chain.HEAD_ID, defaults={"position": start[0], "chain_hash": start[1]}
    )
    position, previous = head.position, head.chain_hash
    pending: dict[type, list] = {model: [] for model in history}
    for row in rows:
        names = chain.chained_fields(type(row))
        position += 1
        row.chain_position, row.chain_fields = position, " ".join(names)
        row.row_hash = chain.row_hash_of(row, names)
        row.chain_hash = previous = chain.link_hash(previous, position, row.row_hash)
        pending[type(row)].append(row)
        if len(pending[type(row)]) >= BATCH:
            _save(type(row), pending, alias)
    for model in history:
        _save(model, pending, alias)
    Head.objects.using(alias).filter(pk=chain.HEAD_ID).update(position=position, chain_hash=previous)


def _save(model, pending, alias):
    if pending[model]:
        model.objects.using(alias).bulk_update(pending[model], list(chain.CHAIN_COLUMNS))
        pending[model] = []



class Migration(migrations.Migration):

    dependencies = [
        ('trialsite', '0004_drop_dataversion'),
        ('subjects', '0005_version_and_audit_chain'),
        ('assessments', '0005_version_and_audit_chain'),
        ('dosing', '0003_version_and_audit_chain'),
        ('safety', '0004_version_and_audit_chain'),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditChainHead',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.BigIntegerField(default=0)),
                ('chain_hash', models.CharField(max_length=64)),
            ],
        ),
        migrations.CreateModel(
            name='AuditCheck',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('checked_at', models.DateTimeField(auto_now_add=True)),
                ('intact', models.BooleanField()),
                ('rows', models.PositiveIntegerField(default=0)),
                ('head_position', models.BigIntegerField(default=0)),
                ('head_hash', models.CharField(blank=True, max_length=64)),
                ('problem', models.TextField(blank=True)),
                ('notify_claimed_at', models.DateTimeField(blank=True, null=True)),
                ('notified_at', models.DateTimeField(blank=True, null=True)),
                ('notify_attempts', models.PositiveSmallIntegerField(default=0)),
                ('notify_last_error', models.TextField(blank=True)),
            ],
            options={
                'ordering': ['-checked_at'],
            },
        ),
        migrations.RunPython(chain_existing_rows, migrations.RunPython.noop),
    ]
