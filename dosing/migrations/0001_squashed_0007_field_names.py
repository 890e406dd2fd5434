"""dosing 0001–0007 in one migration, which Django runs only on a database where none of them has run.

Its schema operations are optimised (indexes and constraints last); a new database needs none of
the data steps.
"""

import django.core.validators
import django.db.models.deletion
import simple_history.models
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    replaces = [('dosing', '0001_initial'), ('dosing', '0002_infusion_participant_cells_index'), ('dosing', '0003_version_and_audit_chain'), ('dosing', '0004_verbose_names_for_translation'), ('dosing', '0005_history_order_index'), ('dosing', '0006_model_names'), ('dosing', '0007_field_names')]

    initial = True

    dependencies = [
        ('subjects', '0001_initial'),
        ('subjects', '0004_screening_failed_index'),
        ('subjects', '0007_signoff_to_signatures'),
        ('subjects', '0009_history_order_index'),
        ('subjects', '0010_field_names'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Infusion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('infusion_number', models.PositiveSmallIntegerField(editable=False, verbose_name='infusion number')),
                ('weight_kg_used', models.DecimalField(decimal_places=1, editable=False, max_digits=5, verbose_name='weight kg used')),
                ('dose_per_kg', models.BigIntegerField(editable=False, help_text='Cells per kg, from the study configuration.', verbose_name='dose per kg')),
                ('planned_cells', models.BigIntegerField(editable=False, verbose_name='planned cells')),
                ('administered_cells', models.BigIntegerField(validators=[django.core.validators.MinValueValidator(1)], verbose_name='administered cells')),
                ('dose_deviation', models.BooleanField(default=False, editable=False, verbose_name='dose deviation')),
                ('deviation_reason', models.TextField(blank=True, verbose_name='deviation reason')),
                ('product_lot', models.CharField(max_length=40, verbose_name='product lot')),
                ('viability_percent', models.DecimalField(decimal_places=1, max_digits=4, validators=[django.core.validators.MinValueValidator(Decimal('0.0')), django.core.validators.MaxValueValidator(Decimal('100.0'))], verbose_name='viability percent')),
                ('thaw_time', models.DateTimeField(verbose_name='thaw time')),
                ('start_time', models.DateTimeField(verbose_name='start time')),
                ('end_time', models.DateTimeField(verbose_name='end time')),
                ('volume_ml', models.DecimalField(decimal_places=1, max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('1.0')), django.core.validators.MaxValueValidator(Decimal('500.0'))], verbose_name='volume ml')),
                ('whole_volume_given', models.BooleanField(verbose_name='whole volume given')),
                ('volume_given_ml', models.DecimalField(blank=True, decimal_places=1, max_digits=5, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0.0')), django.core.validators.MaxValueValidator(Decimal('500.0'))], verbose_name='volume given ml')),
                ('route', models.CharField(default='INTRAVENOUS', editable=False, max_length=20, verbose_name='route')),
                ('interrupted', models.BooleanField(default=False, verbose_name='interrupted')),
                ('interruption_reason', models.TextField(blank=True, verbose_name='interruption reason')),
                ('administered_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='administered by')),
                ('participant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='infusions', to='subjects.participant', verbose_name='participant')),
                ('visit', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='infusion', to='subjects.visit', verbose_name='visit')),
                ('version', models.PositiveIntegerField(default=1, editable=False, help_text='Increases with every change (the ETag; edit forms carry it).')),
            ],
            options={
                'ordering': ['participant_id', 'infusion_number'],
                'verbose_name': 'infusion',
                'verbose_name_plural': 'infusions',
            },
        ),
        migrations.CreateModel(
            name='HistoricalInfusion',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('created_at', models.DateTimeField(blank=True, editable=False)),
                ('updated_at', models.DateTimeField(blank=True, editable=False)),
                ('history_change_reason', models.TextField(null=True)),
                ('infusion_number', models.PositiveSmallIntegerField(editable=False, verbose_name='infusion number')),
                ('weight_kg_used', models.DecimalField(decimal_places=1, editable=False, max_digits=5, verbose_name='weight kg used')),
                ('dose_per_kg', models.BigIntegerField(editable=False, help_text='Cells per kg, from the study configuration.', verbose_name='dose per kg')),
                ('planned_cells', models.BigIntegerField(editable=False, verbose_name='planned cells')),
                ('administered_cells', models.BigIntegerField(validators=[django.core.validators.MinValueValidator(1)], verbose_name='administered cells')),
                ('dose_deviation', models.BooleanField(default=False, editable=False, verbose_name='dose deviation')),
                ('deviation_reason', models.TextField(blank=True, verbose_name='deviation reason')),
                ('product_lot', models.CharField(max_length=40, verbose_name='product lot')),
                ('viability_percent', models.DecimalField(decimal_places=1, max_digits=4, validators=[django.core.validators.MinValueValidator(Decimal('0.0')), django.core.validators.MaxValueValidator(Decimal('100.0'))], verbose_name='viability percent')),
                ('thaw_time', models.DateTimeField(verbose_name='thaw time')),
                ('start_time', models.DateTimeField(verbose_name='start time')),
                ('end_time', models.DateTimeField(verbose_name='end time')),
                ('volume_ml', models.DecimalField(decimal_places=1, max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('1.0')), django.core.validators.MaxValueValidator(Decimal('500.0'))], verbose_name='volume ml')),
                ('whole_volume_given', models.BooleanField(verbose_name='whole volume given')),
                ('volume_given_ml', models.DecimalField(blank=True, decimal_places=1, max_digits=5, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0.0')), django.core.validators.MaxValueValidator(Decimal('500.0'))], verbose_name='volume given ml')),
                ('route', models.CharField(default='INTRAVENOUS', editable=False, max_length=20, verbose_name='route')),
                ('interrupted', models.BooleanField(default=False, verbose_name='interrupted')),
                ('interruption_reason', models.TextField(blank=True, verbose_name='interruption reason')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField()),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('administered_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='administered by')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('participant', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='subjects.participant', verbose_name='participant')),
                ('visit', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='subjects.visit', verbose_name='visit')),
                ('chain_fields', models.TextField(blank=True, editable=False)),
                ('chain_hash', models.CharField(blank=True, editable=False, max_length=64)),
                ('chain_position', models.BigIntegerField(blank=True, db_index=True, editable=False, null=True)),
                ('row_hash', models.CharField(blank=True, editable=False, max_length=64)),
                ('version', models.PositiveIntegerField(default=1, editable=False, help_text='Increases with every change (the ETag; edit forms carry it).')),
            ],
            options={
                'verbose_name': 'historical infusion',
                'verbose_name_plural': 'historical infusions',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalVitalSigns',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('created_at', models.DateTimeField(blank=True, editable=False)),
                ('updated_at', models.DateTimeField(blank=True, editable=False)),
                ('history_change_reason', models.TextField(null=True)),
                ('timepoint', models.CharField(choices=[('visit', 'Visit'), ('pre_infusion', 'Pre-infusion'), ('during_infusion', 'During infusion'), ('post_infusion', 'Post-infusion')], default='visit', max_length=16, verbose_name='timepoint')),
                ('minutes_after_start', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='minutes after start')),
                ('measured_at', models.DateTimeField(verbose_name='measured at')),
                ('weight_kg', models.DecimalField(blank=True, decimal_places=1, max_digits=5, null=True, validators=[django.core.validators.MinValueValidator(Decimal('30.0')), django.core.validators.MaxValueValidator(Decimal('200.0'))], verbose_name='weight kg')),
                ('systolic_bp', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(60), django.core.validators.MaxValueValidator(250)], verbose_name='systolic bp')),
                ('diastolic_bp', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(30), django.core.validators.MaxValueValidator(150)], verbose_name='diastolic bp')),
                ('heart_rate', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(30), django.core.validators.MaxValueValidator(200)], verbose_name='heart rate')),
                ('temperature_c', models.DecimalField(blank=True, decimal_places=1, max_digits=3, null=True, validators=[django.core.validators.MinValueValidator(Decimal('34.0')), django.core.validators.MaxValueValidator(Decimal('42.0'))], verbose_name='temperature c')),
                ('respiratory_rate', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(6), django.core.validators.MaxValueValidator(60)], verbose_name='respiratory rate')),
                ('spo2_percent', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(50), django.core.validators.MaxValueValidator(100)], verbose_name='spo2 percent')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField()),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('participant', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='subjects.participant', verbose_name='participant')),
                ('visit', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='subjects.visit', verbose_name='visit')),
                ('infusion', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='dosing.infusion', verbose_name='infusion')),
                ('chain_fields', models.TextField(blank=True, editable=False)),
                ('chain_hash', models.CharField(blank=True, editable=False, max_length=64)),
                ('chain_position', models.BigIntegerField(blank=True, db_index=True, editable=False, null=True)),
                ('row_hash', models.CharField(blank=True, editable=False, max_length=64)),
                ('version', models.PositiveIntegerField(default=1, editable=False, help_text='Increases with every change (the ETag; edit forms carry it).')),
            ],
            options={
                'verbose_name': 'historical vital signs',
                'verbose_name_plural': 'historical vital signs',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='VitalSigns',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('timepoint', models.CharField(choices=[('visit', 'Visit'), ('pre_infusion', 'Pre-infusion'), ('during_infusion', 'During infusion'), ('post_infusion', 'Post-infusion')], default='visit', max_length=16, verbose_name='timepoint')),
                ('minutes_after_start', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='minutes after start')),
                ('measured_at', models.DateTimeField(verbose_name='measured at')),
                ('weight_kg', models.DecimalField(blank=True, decimal_places=1, max_digits=5, null=True, validators=[django.core.validators.MinValueValidator(Decimal('30.0')), django.core.validators.MaxValueValidator(Decimal('200.0'))], verbose_name='weight kg')),
                ('systolic_bp', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(60), django.core.validators.MaxValueValidator(250)], verbose_name='systolic bp')),
                ('diastolic_bp', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(30), django.core.validators.MaxValueValidator(150)], verbose_name='diastolic bp')),
                ('heart_rate', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(30), django.core.validators.MaxValueValidator(200)], verbose_name='heart rate')),
                ('temperature_c', models.DecimalField(blank=True, decimal_places=1, max_digits=3, null=True, validators=[django.core.validators.MinValueValidator(Decimal('34.0')), django.core.validators.MaxValueValidator(Decimal('42.0'))], verbose_name='temperature c')),
                ('respiratory_rate', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(6), django.core.validators.MaxValueValidator(60)], verbose_name='respiratory rate')),
                ('spo2_percent', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(50), django.core.validators.MaxValueValidator(100)], verbose_name='spo2 percent')),
                ('infusion', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='vital_signs', to='dosing.infusion', verbose_name='infusion')),
                ('participant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='vital_signs', to='subjects.participant', verbose_name='participant')),
                ('visit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='vital_signs', to='subjects.visit', verbose_name='visit')),
                ('version', models.PositiveIntegerField(default=1, editable=False, help_text='Increases with every change (the ETag; edit forms carry it).')),
            ],
            options={
                'verbose_name_plural': 'vital signs',
                'ordering': ['participant_id', 'measured_at'],
                'verbose_name': 'vital signs',
            },
        ),
        migrations.AddConstraint(
            model_name='infusion',
            constraint=models.UniqueConstraint(fields=('participant', 'infusion_number'), name='infusion_unique_number'),
        ),
        migrations.AddConstraint(
            model_name='infusion',
            constraint=models.CheckConstraint(condition=models.Q(('administered_cells__gt', 0)), name='infusion_cells_positive'),
        ),
        migrations.AddConstraint(
            model_name='infusion',
            constraint=models.CheckConstraint(condition=models.Q(('end_time__gt', models.F('start_time'))), name='infusion_end_after_start'),
        ),
        migrations.AddConstraint(
            model_name='infusion',
            constraint=models.CheckConstraint(condition=models.Q(('thaw_time__lt', models.F('start_time'))), name='infusion_thaw_before_start'),
        ),
        migrations.AddConstraint(
            model_name='vitalsigns',
            constraint=models.CheckConstraint(condition=models.Q(('systolic_bp__isnull', True), ('diastolic_bp__isnull', True), ('systolic_bp__gt', models.F('diastolic_bp')), _connector='OR'), name='vitals_systolic_above_diastolic'),
        ),
        migrations.AddConstraint(
            model_name='vitalsigns',
            constraint=models.UniqueConstraint(condition=models.Q(('timepoint', 'during_infusion'), _negated=True), fields=('visit', 'timepoint'), name='vitals_unique_timepoint'),
        ),
        migrations.AddConstraint(
            model_name='vitalsigns',
            constraint=models.UniqueConstraint(condition=models.Q(('timepoint', 'during_infusion')), fields=('visit', 'minutes_after_start'), name='vitals_unique_during_minute'),
        ),
        migrations.AddIndex(
            model_name='infusion',
            index=models.Index(fields=['participant'], include=('administered_cells',), name='infusion_participant_cells'),
        ),
        migrations.AddIndex(
            model_name='historicalinfusion',
            index=models.Index(fields=['history_date', 'history_id'], name='dosing_hist_history_0e6872_idx'),
        ),
        migrations.AddIndex(
            model_name='historicalvitalsigns',
            index=models.Index(fields=['history_date', 'history_id'], name='dosing_hist_history_a51809_idx'),
        ),
    ]
