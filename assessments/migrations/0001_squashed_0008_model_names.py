"""assessments 0001–0008 in one migration, which Django runs only on a database where none of them has run.

Its schema operations are optimised (indexes and constraints last); a new database needs none of
the data steps.
Left out: the data steps of 0002_pasi_visit_code_improvement, 0004_no_improvement_at_baseline_visits,
which act only on what an older database holds.
"""

import django.core.validators
import django.db.models.deletion
import simple_history.models
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    replaces = [('assessments', '0001_initial'), ('assessments', '0002_pasi_visit_code_improvement'), ('assessments', '0003_pasi_visit_improvement_index'), ('assessments', '0004_no_improvement_at_baseline_visits'), ('assessments', '0005_version_and_audit_chain'), ('assessments', '0006_verbose_names_for_translation'), ('assessments', '0007_history_order_index'), ('assessments', '0008_model_names')]

    initial = True

    dependencies = [
        ('subjects', '0001_initial'),
        ('subjects', '0004_screening_failed_index'),
        ('subjects', '0007_signoff_to_signatures'),
        ('subjects', '0009_history_order_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='PasiAssessment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('assessment_date', models.DateField(verbose_name='assessment date')),
                ('bsa_percent', models.DecimalField(blank=True, decimal_places=1, max_digits=4, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0.0')), django.core.validators.MaxValueValidator(Decimal('100.0'))], verbose_name='bsa percent')),
                ('head_erythema', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(4)], verbose_name='head erythema')),
                ('head_induration', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(4)], verbose_name='head induration')),
                ('head_desquamation', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(4)], verbose_name='head desquamation')),
                ('head_area_percent', models.DecimalField(blank=True, decimal_places=1, max_digits=4, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0.0')), django.core.validators.MaxValueValidator(Decimal('100.0'))], verbose_name='head area percent')),
                ('head_area_score', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(6)], verbose_name='head area score')),
                ('upper_limbs_erythema', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(4)], verbose_name='upper limbs erythema')),
                ('upper_limbs_induration', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(4)], verbose_name='upper limbs induration')),
                ('upper_limbs_desquamation', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(4)], verbose_name='upper limbs desquamation')),
                ('upper_limbs_area_percent', models.DecimalField(blank=True, decimal_places=1, max_digits=4, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0.0')), django.core.validators.MaxValueValidator(Decimal('100.0'))], verbose_name='upper limbs area percent')),
                ('upper_limbs_area_score', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(6)], verbose_name='upper limbs area score')),
                ('trunk_erythema', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(4)], verbose_name='trunk erythema')),
                ('trunk_induration', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(4)], verbose_name='trunk induration')),
                ('trunk_desquamation', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(4)], verbose_name='trunk desquamation')),
                ('trunk_area_percent', models.DecimalField(blank=True, decimal_places=1, max_digits=4, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0.0')), django.core.validators.MaxValueValidator(Decimal('100.0'))], verbose_name='trunk area percent')),
                ('trunk_area_score', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(6)], verbose_name='trunk area score')),
                ('lower_limbs_erythema', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(4)], verbose_name='lower limbs erythema')),
                ('lower_limbs_induration', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(4)], verbose_name='lower limbs induration')),
                ('lower_limbs_desquamation', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(4)], verbose_name='lower limbs desquamation')),
                ('lower_limbs_area_percent', models.DecimalField(blank=True, decimal_places=1, max_digits=4, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0.0')), django.core.validators.MaxValueValidator(Decimal('100.0'))], verbose_name='lower limbs area percent')),
                ('lower_limbs_area_score', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(6)], verbose_name='lower limbs area score')),
                ('pasi_total', models.DecimalField(decimal_places=1, editable=False, max_digits=3, validators=[django.core.validators.MinValueValidator(Decimal('0.0')), django.core.validators.MaxValueValidator(Decimal('72.0'))], verbose_name='pasi total')),
                ('assessor', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='assessor')),
                ('participant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='pasi_assessments', to='subjects.participant', verbose_name='participant')),
                ('visit', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='pasi_assessment', to='subjects.visit', verbose_name='visit')),
                ('visit_code', models.CharField(editable=False, max_length=4, verbose_name='visit code')),
                ('improvement_percent', models.DecimalField(blank=True, decimal_places=1, editable=False, max_digits=7, null=True, verbose_name='improvement percent')),
                ('version', models.PositiveIntegerField(default=1, editable=False, help_text='Increases with every change (the ETag; edit forms carry it).')),
            ],
            options={
                'ordering': ['participant_id', 'visit__visitnum'],
                'constraints': [models.CheckConstraint(condition=models.Q(('pasi_total__gte', 0), ('pasi_total__lte', 72)), name='pasi_total_range'), models.CheckConstraint(condition=models.Q(('improvement_percent__lte', 100)), name='pasi_improvement_at_most_100')],
                'verbose_name': 'PASI assessment',
                'verbose_name_plural': 'PASI assessments',
                'indexes': [models.Index(fields=['visit_code'], include=('improvement_percent',), name='pasi_visit_improvement')],
            },
        ),
        migrations.CreateModel(
            name='HistoricalPasiAssessment',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('created_at', models.DateTimeField(blank=True, editable=False)),
                ('updated_at', models.DateTimeField(blank=True, editable=False)),
                ('history_change_reason', models.TextField(null=True)),
                ('assessment_date', models.DateField(verbose_name='assessment date')),
                ('bsa_percent', models.DecimalField(blank=True, decimal_places=1, max_digits=4, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0.0')), django.core.validators.MaxValueValidator(Decimal('100.0'))], verbose_name='bsa percent')),
                ('head_erythema', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(4)], verbose_name='head erythema')),
                ('head_induration', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(4)], verbose_name='head induration')),
                ('head_desquamation', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(4)], verbose_name='head desquamation')),
                ('head_area_percent', models.DecimalField(blank=True, decimal_places=1, max_digits=4, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0.0')), django.core.validators.MaxValueValidator(Decimal('100.0'))], verbose_name='head area percent')),
                ('head_area_score', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(6)], verbose_name='head area score')),
                ('upper_limbs_erythema', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(4)], verbose_name='upper limbs erythema')),
                ('upper_limbs_induration', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(4)], verbose_name='upper limbs induration')),
                ('upper_limbs_desquamation', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(4)], verbose_name='upper limbs desquamation')),
                ('upper_limbs_area_percent', models.DecimalField(blank=True, decimal_places=1, max_digits=4, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0.0')), django.core.validators.MaxValueValidator(Decimal('100.0'))], verbose_name='upper limbs area percent')),
                ('upper_limbs_area_score', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(6)], verbose_name='upper limbs area score')),
                ('trunk_erythema', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(4)], verbose_name='trunk erythema')),
                ('trunk_induration', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(4)], verbose_name='trunk induration')),
                ('trunk_desquamation', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(4)], verbose_name='trunk desquamation')),
                ('trunk_area_percent', models.DecimalField(blank=True, decimal_places=1, max_digits=4, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0.0')), django.core.validators.MaxValueValidator(Decimal('100.0'))], verbose_name='trunk area percent')),
                ('trunk_area_score', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(6)], verbose_name='trunk area score')),
                ('lower_limbs_erythema', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(4)], verbose_name='lower limbs erythema')),
                ('lower_limbs_induration', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(4)], verbose_name='lower limbs induration')),
                ('lower_limbs_desquamation', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(4)], verbose_name='lower limbs desquamation')),
                ('lower_limbs_area_percent', models.DecimalField(blank=True, decimal_places=1, max_digits=4, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0.0')), django.core.validators.MaxValueValidator(Decimal('100.0'))], verbose_name='lower limbs area percent')),
                ('lower_limbs_area_score', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(6)], verbose_name='lower limbs area score')),
                ('pasi_total', models.DecimalField(decimal_places=1, editable=False, max_digits=3, validators=[django.core.validators.MinValueValidator(Decimal('0.0')), django.core.validators.MaxValueValidator(Decimal('72.0'))], verbose_name='pasi total')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField()),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('assessor', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='assessor')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('participant', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='subjects.participant', verbose_name='participant')),
                ('visit', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='subjects.visit', verbose_name='visit')),
                ('visit_code', models.CharField(editable=False, max_length=4, verbose_name='visit code')),
                ('improvement_percent', models.DecimalField(blank=True, decimal_places=1, editable=False, max_digits=7, null=True, verbose_name='improvement percent')),
                ('chain_fields', models.TextField(blank=True, editable=False)),
                ('chain_hash', models.CharField(blank=True, editable=False, max_length=64)),
                ('chain_position', models.BigIntegerField(blank=True, db_index=True, editable=False, null=True)),
                ('row_hash', models.CharField(blank=True, editable=False, max_length=64)),
                ('version', models.PositiveIntegerField(default=1, editable=False, help_text='Increases with every change (the ETag; edit forms carry it).')),
            ],
            options={
                'verbose_name': 'historical PASI assessment',
                'verbose_name_plural': 'historical PASI assessments',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
                'indexes': [models.Index(fields=['history_date', 'history_id'], name='assessments_history_7e6920_idx')],
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
    ]
