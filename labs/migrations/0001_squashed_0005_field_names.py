"""labs 0001–0005 in one migration, which Django runs only on a database where none of them has run.

Its schema operations are optimised (indexes and constraints last). After them run the data steps
a new database needs: 0002_site_normal_ranges.load.
"""

from importlib import import_module

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    replaces = [('labs', '0001_lab_panels_results_ranges'), ('labs', '0002_site_normal_ranges'), ('labs', '0003_verbose_names'), ('labs', '0004_history_order_index'), ('labs', '0005_field_names')]

    initial = True

    dependencies = [
        ('subjects', '0006_participant_race_ethnicity'),
        ('subjects', '0009_history_order_index'),
        ('subjects', '0010_field_names'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='LabPanel',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('version', models.PositiveIntegerField(default=1, editable=False, help_text='Increases with every change (the ETag; edit forms carry it).')),
                ('visit_code', models.CharField(editable=False, max_length=4, verbose_name='visit code')),
                ('collected_at', models.DateTimeField(verbose_name='collected at')),
                ('participant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='lab_panels', to='subjects.participant', verbose_name='participant')),
                ('visit', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='lab_panels', to='subjects.visit', verbose_name='visit')),
            ],
            options={
                'ordering': ['participant_id', 'collected_at', 'id'],
                'verbose_name': 'lab panel',
                'verbose_name_plural': 'lab panels',
            },
        ),
        migrations.CreateModel(
            name='NormalRange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('version', models.PositiveIntegerField(default=1, editable=False, help_text='Increases with every change (the ETag; edit forms carry it).')),
                ('test_code', models.CharField(choices=[('HGB', 'Haemoglobin'), ('WBC', 'White blood cells'), ('NEUT', 'Neutrophils (absolute)'), ('LYM', 'Lymphocytes (absolute)'), ('PLAT', 'Platelets'), ('ALT', 'Alanine aminotransferase'), ('AST', 'Aspartate aminotransferase'), ('BILI', 'Total bilirubin'), ('CREAT', 'Creatinine')], max_length=8, verbose_name='test')),
                ('sex', models.CharField(blank=True, choices=[('', 'Both sexes'), ('M', 'Male'), ('F', 'Female')], max_length=1, verbose_name='sex')),
                ('age_from', models.PositiveSmallIntegerField(default=0, verbose_name='from age (years)')),
                ('age_to', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='to age (years)')),
                ('effective_from', models.DateField(verbose_name='effective from')),
                ('lln', models.DecimalField(decimal_places=4, max_digits=12, verbose_name='LLN')),
                ('uln', models.DecimalField(decimal_places=4, max_digits=12, verbose_name='ULN')),
            ],
            options={
                'ordering': ['test_code', 'effective_from', 'sex', 'age_from'],
                'constraints': [models.CheckConstraint(condition=models.Q(('uln__gt', models.F('lln'))), name='normal_range_uln_above_lln')],
                'verbose_name': 'normal range',
                'verbose_name_plural': 'normal ranges',
            },
        ),
        migrations.CreateModel(
            name='HistoricalNormalRange',
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
                ('test_code', models.CharField(choices=[('HGB', 'Haemoglobin'), ('WBC', 'White blood cells'), ('NEUT', 'Neutrophils (absolute)'), ('LYM', 'Lymphocytes (absolute)'), ('PLAT', 'Platelets'), ('ALT', 'Alanine aminotransferase'), ('AST', 'Aspartate aminotransferase'), ('BILI', 'Total bilirubin'), ('CREAT', 'Creatinine')], max_length=8, verbose_name='test')),
                ('sex', models.CharField(blank=True, choices=[('', 'Both sexes'), ('M', 'Male'), ('F', 'Female')], max_length=1, verbose_name='sex')),
                ('age_from', models.PositiveSmallIntegerField(default=0, verbose_name='from age (years)')),
                ('age_to', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='to age (years)')),
                ('effective_from', models.DateField(verbose_name='effective from')),
                ('lln', models.DecimalField(decimal_places=4, max_digits=12, verbose_name='LLN')),
                ('uln', models.DecimalField(decimal_places=4, max_digits=12, verbose_name='ULN')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField()),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical normal range',
                'verbose_name_plural': 'historical normal ranges',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='FirstInfusion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('version', models.PositiveIntegerField(default=1, editable=False, help_text='Increases with every change (the ETag; edit forms carry it).')),
                ('start_time', models.DateTimeField(blank=True, null=True, verbose_name='start time')),
                ('participant', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='subjects.participant', verbose_name='participant')),
            ],
            options={
                'abstract': False,
                'verbose_name': 'first infusion',
                'verbose_name_plural': 'first infusions',
            },
        ),
        migrations.CreateModel(
            name='HistoricalFirstInfusion',
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
                ('start_time', models.DateTimeField(blank=True, null=True, verbose_name='start time')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField()),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('participant', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='subjects.participant', verbose_name='participant')),
            ],
            options={
                'verbose_name': 'historical first infusion',
                'verbose_name_plural': 'historical first infusions',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalLabPanel',
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
                ('visit_code', models.CharField(editable=False, max_length=4, verbose_name='visit code')),
                ('collected_at', models.DateTimeField(verbose_name='collected at')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField()),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('participant', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='subjects.participant', verbose_name='participant')),
                ('visit', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='subjects.visit', verbose_name='visit')),
            ],
            options={
                'verbose_name': 'historical lab panel',
                'verbose_name_plural': 'historical lab panels',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalLabResult',
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
                ('test_code', models.CharField(choices=[('HGB', 'Haemoglobin'), ('WBC', 'White blood cells'), ('NEUT', 'Neutrophils (absolute)'), ('LYM', 'Lymphocytes (absolute)'), ('PLAT', 'Platelets'), ('ALT', 'Alanine aminotransferase'), ('AST', 'Aspartate aminotransferase'), ('BILI', 'Total bilirubin'), ('CREAT', 'Creatinine')], max_length=8, verbose_name='test')),
                ('value', models.DecimalField(blank=True, decimal_places=4, max_digits=12, null=True, verbose_name='value')),
                ('unit', models.CharField(blank=True, choices=[('g/L', 'g/L'), ('g/dL', 'g/dL'), ('10^9/L', '10⁹/L'), ('U/L', 'U/L'), ('umol/L', 'µmol/L'), ('mg/dL', 'mg/dL')], max_length=8, verbose_name='unit')),
                ('not_done_reason', models.TextField(blank=True, verbose_name='not done reason')),
                ('clinically_significant', models.BooleanField(blank=True, null=True, verbose_name='clinically significant')),
                ('value_standard', models.DecimalField(blank=True, decimal_places=6, editable=False, max_digits=14, null=True, verbose_name='value in standard units')),
                ('lln', models.DecimalField(blank=True, decimal_places=4, editable=False, max_digits=12, null=True, verbose_name='LLN')),
                ('uln', models.DecimalField(blank=True, decimal_places=4, editable=False, max_digits=12, null=True, verbose_name='ULN')),
                ('flag', models.CharField(blank=True, choices=[('LOW', 'Low'), ('NORMAL', 'Normal'), ('HIGH', 'High')], editable=False, max_length=6, verbose_name='flag')),
                ('ctcae_grade', models.PositiveSmallIntegerField(blank=True, editable=False, null=True, verbose_name='CTCAE grade')),
                ('is_baseline', models.BooleanField(default=False, editable=False, verbose_name='baseline')),
                ('prompts_ae', models.BooleanField(default=False, editable=False, verbose_name='prompts an AE')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField()),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('participant', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='subjects.participant', verbose_name='participant')),
                ('panel', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='labs.labpanel', verbose_name='panel')),
            ],
            options={
                'verbose_name': 'historical lab result',
                'verbose_name_plural': 'historical lab results',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='LabResult',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('version', models.PositiveIntegerField(default=1, editable=False, help_text='Increases with every change (the ETag; edit forms carry it).')),
                ('test_code', models.CharField(choices=[('HGB', 'Haemoglobin'), ('WBC', 'White blood cells'), ('NEUT', 'Neutrophils (absolute)'), ('LYM', 'Lymphocytes (absolute)'), ('PLAT', 'Platelets'), ('ALT', 'Alanine aminotransferase'), ('AST', 'Aspartate aminotransferase'), ('BILI', 'Total bilirubin'), ('CREAT', 'Creatinine')], max_length=8, verbose_name='test')),
                ('value', models.DecimalField(blank=True, decimal_places=4, max_digits=12, null=True, verbose_name='value')),
                ('unit', models.CharField(blank=True, choices=[('g/L', 'g/L'), ('g/dL', 'g/dL'), ('10^9/L', '10⁹/L'), ('U/L', 'U/L'), ('umol/L', 'µmol/L'), ('mg/dL', 'mg/dL')], max_length=8, verbose_name='unit')),
                ('not_done_reason', models.TextField(blank=True, verbose_name='not done reason')),
                ('clinically_significant', models.BooleanField(blank=True, null=True, verbose_name='clinically significant')),
                ('value_standard', models.DecimalField(blank=True, decimal_places=6, editable=False, max_digits=14, null=True, verbose_name='value in standard units')),
                ('lln', models.DecimalField(blank=True, decimal_places=4, editable=False, max_digits=12, null=True, verbose_name='LLN')),
                ('uln', models.DecimalField(blank=True, decimal_places=4, editable=False, max_digits=12, null=True, verbose_name='ULN')),
                ('flag', models.CharField(blank=True, choices=[('LOW', 'Low'), ('NORMAL', 'Normal'), ('HIGH', 'High')], editable=False, max_length=6, verbose_name='flag')),
                ('ctcae_grade', models.PositiveSmallIntegerField(blank=True, editable=False, null=True, verbose_name='CTCAE grade')),
                ('is_baseline', models.BooleanField(default=False, editable=False, verbose_name='baseline')),
                ('prompts_ae', models.BooleanField(default=False, editable=False, verbose_name='prompts an AE')),
                ('panel', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='results', to='labs.labpanel', verbose_name='panel')),
                ('participant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='lab_results', to='subjects.participant', verbose_name='participant')),
            ],
            options={
                'ordering': ['participant_id', 'panel__collected_at', 'test_code'],
                'verbose_name': 'lab result',
                'verbose_name_plural': 'lab results',
            },
        ),
        migrations.AddConstraint(
            model_name='labpanel',
            constraint=models.UniqueConstraint(condition=models.Q(('visit__isnull', False)), fields=('visit',), name='lab_panel_one_per_visit'),
        ),
        migrations.AddIndex(
            model_name='labresult',
            index=models.Index(fields=['test_code', 'ctcae_grade'], name='labs_labres_test_co_6ae0ae_idx'),
        ),
        migrations.AddConstraint(
            model_name='labresult',
            constraint=models.UniqueConstraint(fields=('panel', 'test_code'), name='lab_result_one_per_test'),
        ),
        migrations.AddConstraint(
            model_name='labresult',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('value__isnull', False), ('not_done_reason', '')), models.Q(('value__isnull', True), models.Q(('not_done_reason', ''), _negated=True)), _connector='OR'), name='lab_result_value_or_not_done'),
        ),
        migrations.AddIndex(
            model_name='historicalfirstinfusion',
            index=models.Index(fields=['history_date', 'history_id'], name='labs_histor_history_bb5327_idx'),
        ),
        migrations.AddIndex(
            model_name='historicallabpanel',
            index=models.Index(fields=['history_date', 'history_id'], name='labs_histor_history_5a2475_idx'),
        ),
        migrations.AddIndex(
            model_name='historicallabresult',
            index=models.Index(fields=['history_date', 'history_id'], name='labs_histor_history_e83c51_idx'),
        ),
        migrations.AddIndex(
            model_name='historicalnormalrange',
            index=models.Index(fields=['history_date', 'history_id'], name='labs_histor_history_d3a070_idx'),
        ),
        migrations.RunPython(import_module("labs.migrations.0002_site_normal_ranges").load, migrations.RunPython.noop),
    ]
