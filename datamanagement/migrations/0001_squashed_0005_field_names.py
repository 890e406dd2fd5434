"""datamanagement 0001–0005 in one migration, which Django runs only on a database where none of them has run.

Its schema operations are optimised (indexes and constraints last); a new database needs none of
the data steps.
"""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    replaces = [('datamanagement', '0001_data_management'), ('datamanagement', '0002_query_reminders'), ('datamanagement', '0003_lock_reverse_relations'), ('datamanagement', '0004_history_order_index'), ('datamanagement', '0005_field_names')]

    initial = True

    dependencies = [
        ('subjects', '0006_participant_race_ethnicity'),
        ('subjects', '0007_signoff_to_signatures'),
        ('subjects', '0009_history_order_index'),
        ('subjects', '0010_field_names'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Query',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('version', models.PositiveIntegerField(default=1, editable=False, help_text='Increases with every change (the ETag; edit forms carry it).')),
                ('record_type', models.CharField(max_length=40, verbose_name='record type')),
                ('record_id', models.PositiveBigIntegerField(verbose_name='record id')),
                ('field', models.CharField(blank=True, max_length=80, verbose_name='field')),
                ('state', models.CharField(choices=[('open', 'Open'), ('answered', 'Answered'), ('closed', 'Closed'), ('cancelled', 'Cancelled')], default='open', max_length=10, verbose_name='state')),
                ('text', models.TextField(verbose_name='question')),
                ('latest_text', models.TextField(blank=True, verbose_name='latest message')),
                ('raised_at', models.DateTimeField(verbose_name='raised at')),
                ('edit_check', models.CharField(blank=True, max_length=60, verbose_name='edit check')),
                ('answer_change_id', models.PositiveBigIntegerField(blank=True, help_text='The audit row of the data change that answered it.', null=True, verbose_name='answering change')),
                ('assignee', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='assignee')),
                ('participant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='data_queries', to='subjects.participant', verbose_name='participant')),
                ('raised_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='raised by')),
                ('visit', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='subjects.visit', verbose_name='visit')),
            ],
            options={
                'verbose_name': 'data query',
                'verbose_name_plural': 'data queries',
                'indexes': [models.Index(fields=['record_type', 'record_id'], name='query_record'), models.Index(fields=['participant', 'state'], name='query_participant_state')],
            },
        ),
        migrations.CreateModel(
            name='QueryReminder',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('email_sent_at', models.DateTimeField(blank=True, null=True)),
                ('query', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='reminder', to='datamanagement.query')),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.CreateModel(
            name='Lock',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('version', models.PositiveIntegerField(default=1, editable=False, help_text='Increases with every change (the ETag; edit forms carry it).')),
                ('scope', models.CharField(choices=[('record', 'Record'), ('visit', 'Visit'), ('participant', 'Participant casebook'), ('database', 'Database')], max_length=12, verbose_name='scope')),
                ('record_type', models.CharField(blank=True, max_length=40, verbose_name='record type')),
                ('record_id', models.PositiveBigIntegerField(blank=True, null=True, verbose_name='record id')),
                ('active', models.BooleanField(default=True, verbose_name='active')),
                ('locked_at', models.DateTimeField(verbose_name='locked at')),
                ('reason', models.TextField(blank=True, verbose_name='reason')),
                ('locked_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='locked by')),
                ('participant', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='locks', to='subjects.participant', verbose_name='participant')),
                ('visit', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='locks', to='subjects.visit', verbose_name='visit')),
            ],
            options={
                'verbose_name': 'lock',
                'indexes': [models.Index(fields=['active', 'scope'], name='lock_active_scope')],
            },
        ),
        migrations.CreateModel(
            name='SourceVerification',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('version', models.PositiveIntegerField(default=1, editable=False, help_text='Increases with every change (the ETag; edit forms carry it).')),
                ('record_type', models.CharField(max_length=40, verbose_name='record type')),
                ('record_id', models.PositiveBigIntegerField(verbose_name='record id')),
                ('state', models.CharField(choices=[('verified', 'Verified'), ('changed', 'Changed since verification')], max_length=10, verbose_name='state')),
                ('verified_at', models.DateTimeField(verbose_name='verified at')),
                ('verified_version', models.PositiveIntegerField(verbose_name='verified version')),
                ('participant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='subjects.participant', verbose_name='participant')),
                ('verified_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='verified by')),
                ('visit', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='subjects.visit', verbose_name='visit')),
            ],
            options={
                'verbose_name': 'source data verification',
                'constraints': [models.UniqueConstraint(fields=('record_type', 'record_id'), name='sdv_unique_record')],
            },
        ),
        migrations.CreateModel(
            name='HistoricalLock',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('chain_position', models.BigIntegerField(blank=True, db_index=True, editable=False, null=True)),
                ('chain_fields', models.TextField(blank=True, editable=False)),
                ('row_hash', models.CharField(blank=True, editable=False, max_length=64)),
                ('chain_hash', models.CharField(blank=True, editable=False, max_length=64)),
                ('created_at', models.DateTimeField(blank=True, editable=False)),
                ('updated_at', models.DateTimeField(blank=True, editable=False)),
                ('version', models.PositiveIntegerField(default=1, editable=False, help_text='Increases with every change (the ETag; edit forms carry it).')),
                ('history_change_reason', models.TextField(null=True)),
                ('scope', models.CharField(choices=[('record', 'Record'), ('visit', 'Visit'), ('participant', 'Participant casebook'), ('database', 'Database')], max_length=12, verbose_name='scope')),
                ('record_type', models.CharField(blank=True, max_length=40, verbose_name='record type')),
                ('record_id', models.PositiveBigIntegerField(blank=True, null=True, verbose_name='record id')),
                ('active', models.BooleanField(default=True, verbose_name='active')),
                ('locked_at', models.DateTimeField(verbose_name='locked at')),
                ('reason', models.TextField(blank=True, verbose_name='reason')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField()),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('locked_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='locked by')),
                ('participant', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='subjects.participant', verbose_name='participant')),
                ('visit', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='subjects.visit', verbose_name='visit')),
            ],
            options={
                'verbose_name': 'historical lock',
                'verbose_name_plural': 'historical locks',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
                'indexes': [models.Index(fields=['history_date', 'history_id'], name='datamanagem_history_b2c8bc_idx')],
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalQuery',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('chain_position', models.BigIntegerField(blank=True, db_index=True, editable=False, null=True)),
                ('chain_fields', models.TextField(blank=True, editable=False)),
                ('row_hash', models.CharField(blank=True, editable=False, max_length=64)),
                ('chain_hash', models.CharField(blank=True, editable=False, max_length=64)),
                ('created_at', models.DateTimeField(blank=True, editable=False)),
                ('updated_at', models.DateTimeField(blank=True, editable=False)),
                ('version', models.PositiveIntegerField(default=1, editable=False, help_text='Increases with every change (the ETag; edit forms carry it).')),
                ('history_change_reason', models.TextField(null=True)),
                ('record_type', models.CharField(max_length=40, verbose_name='record type')),
                ('record_id', models.PositiveBigIntegerField(verbose_name='record id')),
                ('field', models.CharField(blank=True, max_length=80, verbose_name='field')),
                ('state', models.CharField(choices=[('open', 'Open'), ('answered', 'Answered'), ('closed', 'Closed'), ('cancelled', 'Cancelled')], default='open', max_length=10, verbose_name='state')),
                ('text', models.TextField(verbose_name='question')),
                ('latest_text', models.TextField(blank=True, verbose_name='latest message')),
                ('raised_at', models.DateTimeField(verbose_name='raised at')),
                ('edit_check', models.CharField(blank=True, max_length=60, verbose_name='edit check')),
                ('answer_change_id', models.PositiveBigIntegerField(blank=True, help_text='The audit row of the data change that answered it.', null=True, verbose_name='answering change')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField()),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('assignee', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='assignee')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('participant', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='subjects.participant', verbose_name='participant')),
                ('raised_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='raised by')),
                ('visit', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='subjects.visit', verbose_name='visit')),
            ],
            options={
                'verbose_name': 'historical data query',
                'verbose_name_plural': 'historical data queries',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
                'indexes': [models.Index(fields=['history_date', 'history_id'], name='datamanagem_history_73fe67_idx')],
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalSourceVerification',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('chain_position', models.BigIntegerField(blank=True, db_index=True, editable=False, null=True)),
                ('chain_fields', models.TextField(blank=True, editable=False)),
                ('row_hash', models.CharField(blank=True, editable=False, max_length=64)),
                ('chain_hash', models.CharField(blank=True, editable=False, max_length=64)),
                ('created_at', models.DateTimeField(blank=True, editable=False)),
                ('updated_at', models.DateTimeField(blank=True, editable=False)),
                ('version', models.PositiveIntegerField(default=1, editable=False, help_text='Increases with every change (the ETag; edit forms carry it).')),
                ('history_change_reason', models.TextField(null=True)),
                ('record_type', models.CharField(max_length=40, verbose_name='record type')),
                ('record_id', models.PositiveBigIntegerField(verbose_name='record id')),
                ('state', models.CharField(choices=[('verified', 'Verified'), ('changed', 'Changed since verification')], max_length=10, verbose_name='state')),
                ('verified_at', models.DateTimeField(verbose_name='verified at')),
                ('verified_version', models.PositiveIntegerField(verbose_name='verified version')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField()),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('participant', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='subjects.participant', verbose_name='participant')),
                ('verified_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='verified by')),
                ('visit', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='subjects.visit', verbose_name='visit')),
            ],
            options={
                'verbose_name': 'historical source data verification',
                'verbose_name_plural': 'historical source data verifications',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
                'indexes': [models.Index(fields=['history_date', 'history_id'], name='datamanagem_history_42ffa8_idx')],
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
    ]
