"""deviations 0001–0004 in one migration, which Django runs only on a database where none of them has run.

Its schema operations are optimised (indexes and constraints last); a new database needs none of
the data steps.
"""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    replaces = [('deviations', '0001_protocol_deviations'), ('deviations', '0002_verbose_names'), ('deviations', '0003_history_order_index'), ('deviations', '0004_field_names')]

    initial = True

    dependencies = [
        ('subjects', '0006_participant_race_ethnicity'),
        ('subjects', '0009_history_order_index'),
        ('subjects', '0010_field_names'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ProtocolDeviation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('version', models.PositiveIntegerField(default=1, editable=False, help_text='Increases with every change (the ETag; edit forms carry it).')),
                ('category', models.CharField(choices=[('eligibility', 'Eligibility'), ('informed_consent', 'Informed consent'), ('visit_schedule', 'Visit schedule'), ('dosing', 'Dosing'), ('prohibited_medication', 'Prohibited medication'), ('procedure', 'Procedure'), ('other', 'Other')], max_length=24, verbose_name='category')),
                ('description', models.TextField(verbose_name='description')),
                ('deviation_date', models.DateField(blank=True, null=True, verbose_name='date')),
                ('source', models.CharField(choices=[('manual', 'Recorded by hand'), ('visit_window', 'Visit outside its window'), ('dose_deviation', 'Dose deviation'), ('missed_infusion', 'Missed infusion'), ('prohibited_medication', 'Prohibited medication')], default='manual', editable=False, max_length=24, verbose_name='source')),
                ('source_key', models.CharField(blank=True, editable=False, max_length=40, null=True, unique=True, verbose_name='source key')),
                ('withdrawn', models.BooleanField(default=False, editable=False, verbose_name='withdrawn')),
                ('participant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='protocol_deviations', to='subjects.participant', verbose_name='participant')),
                ('recorded_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='recorded by')),
            ],
            options={
                'ordering': ['participant_id', 'deviation_date', 'id'],
                'verbose_name': 'protocol deviation',
                'verbose_name_plural': 'protocol deviations',
            },
        ),
        migrations.CreateModel(
            name='HistoricalProtocolDeviation',
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
                ('category', models.CharField(choices=[('eligibility', 'Eligibility'), ('informed_consent', 'Informed consent'), ('visit_schedule', 'Visit schedule'), ('dosing', 'Dosing'), ('prohibited_medication', 'Prohibited medication'), ('procedure', 'Procedure'), ('other', 'Other')], max_length=24, verbose_name='category')),
                ('description', models.TextField(verbose_name='description')),
                ('deviation_date', models.DateField(blank=True, null=True, verbose_name='date')),
                ('source', models.CharField(choices=[('manual', 'Recorded by hand'), ('visit_window', 'Visit outside its window'), ('dose_deviation', 'Dose deviation'), ('missed_infusion', 'Missed infusion'), ('prohibited_medication', 'Prohibited medication')], default='manual', editable=False, max_length=24, verbose_name='source')),
                ('source_key', models.CharField(blank=True, db_index=True, editable=False, max_length=40, null=True, verbose_name='source key')),
                ('withdrawn', models.BooleanField(default=False, editable=False, verbose_name='withdrawn')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField()),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('participant', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='subjects.participant', verbose_name='participant')),
                ('recorded_by', models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='recorded by')),
            ],
            options={
                'verbose_name': 'historical protocol deviation',
                'verbose_name_plural': 'historical protocol deviations',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
                'indexes': [models.Index(fields=['history_date', 'history_id'], name='deviations__history_d6856d_idx')],
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
    ]
