"""medications 0001–0005 in one migration, which Django runs only on a database where none of them has run.

Its schema operations are optimised (indexes and constraints last); a new database needs none of
the data steps.
"""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    replaces = [('medications', '0001_concomitant_medications_medical_history'), ('medications', '0002_washout_override'), ('medications', '0003_verbose_names'), ('medications', '0004_history_order_index'), ('medications', '0005_field_names')]

    initial = True

    dependencies = [
        ('subjects', '0006_participant_race_ethnicity'),
        ('subjects', '0009_history_order_index'),
        ('subjects', '0010_field_names'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ConcomitantMedication',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('version', models.PositiveIntegerField(default=1, editable=False, help_text='Increases with every change (the ETag; edit forms carry it).')),
                ('medication', models.CharField(max_length=200, verbose_name='medication')),
                ('medication_class', models.CharField(choices=[('methotrexate', 'Methotrexate'), ('ciclosporin', 'Ciclosporin (cyclosporine)'), ('acitretin', 'Acitretin'), ('apremilast', 'Apremilast'), ('fumarate', 'Fumarates (dimethyl fumarate, fumaric acid esters)'), ('other_psoriasis_systemic', 'Other systemic psoriasis therapy'), ('biologic', 'Biologic (any: TNF, IL-17, IL-23, IL-12/23 inhibitors …)'), ('prednisone', 'Corticosteroid: prednisone'), ('prednisolone', 'Corticosteroid: prednisolone'), ('methylprednisolone', 'Corticosteroid: methylprednisolone'), ('dexamethasone', 'Corticosteroid: dexamethasone'), ('betamethasone', 'Corticosteroid: betamethasone'), ('hydrocortisone', 'Corticosteroid: hydrocortisone'), ('cortisone', 'Corticosteroid: cortisone acetate'), ('triamcinolone', 'Corticosteroid: triamcinolone'), ('deflazacort', 'Corticosteroid: deflazacort'), ('other_corticosteroid', 'Corticosteroid: other'), ('immunosuppressant', 'Other immunosuppressant (azathioprine, mycophenolate, tacrolimus, JAK inhibitor, tripterygium …)'), ('phototherapy', 'Phototherapy (NB-UVB, PUVA, excimer)'), ('other', 'Any other medication')], max_length=32, verbose_name='class')),
                ('indication', models.CharField(max_length=200, verbose_name='indication')),
                ('dose', models.DecimalField(blank=True, decimal_places=3, max_digits=10, null=True, verbose_name='dose')),
                ('dose_unit', models.CharField(blank=True, choices=[('mg', 'mg'), ('g', 'g'), ('ug', 'µg'), ('mL', 'mL'), ('IU', 'IU'), ('TABLET', 'tablet'), ('CAPSULE', 'capsule'), ('PUFF', 'puff'), ('OTHER', 'other')], max_length=10, verbose_name='dose unit')),
                ('frequency', models.CharField(blank=True, choices=[('ONCE', 'Once'), ('QD', 'Once a day'), ('BID', 'Twice a day'), ('TID', 'Three times a day'), ('QID', 'Four times a day'), ('QOD', 'Every other day'), ('QS', 'Once a week'), ('PRN', 'As needed'), ('UNKNOWN', 'Unknown')], max_length=10, verbose_name='frequency')),
                ('route', models.CharField(choices=[('ORAL', 'Oral'), ('SUBLINGUAL', 'Sublingual'), ('INTRAVENOUS', 'Intravenous'), ('SUBCUTANEOUS', 'Subcutaneous'), ('INTRAMUSCULAR', 'Intramuscular'), ('TRANSDERMAL', 'Transdermal (patch)'), ('RECTAL', 'Rectal'), ('TOPICAL', 'Topical (skin)'), ('INTRALESIONAL', 'Intralesional'), ('INTRA-ARTICULAR', 'Intra-articular'), ('RESPIRATORY (INHALATION)', 'Inhaled'), ('NASAL', 'Nasal'), ('OPHTHALMIC', 'Eye'), ('VAGINAL', 'Vaginal'), ('OTHER', 'Other'), ('UNKNOWN', 'Unknown')], max_length=30, verbose_name='route')),
                ('start_date', models.CharField(blank=True, help_text='Empty: before', max_length=10, verbose_name='start date')),
                ('end_date', models.CharField(blank=True, max_length=10, verbose_name='end date')),
                ('ongoing', models.BooleanField(default=False, verbose_name='ongoing')),
                ('prior_or_concomitant', models.CharField(blank=True, choices=[('prior', 'Prior'), ('concomitant', 'Concomitant')], editable=False, max_length=12, verbose_name='prior or concomitant')),
                ('prohibited_reason', models.CharField(blank=True, choices=[('systemic_psoriasis_therapy', 'Systemic psoriasis therapy'), ('biologic', 'Biologic'), ('systemic_corticosteroid', 'Systemic corticosteroid above 10 mg/day prednisone equivalent'), ('systemic_corticosteroid_dose_unknown', 'Systemic corticosteroid whose prednisone-equivalent daily dose is not known: confirm'), ('systemic_immunosuppressant', 'Systemic immunosuppressant'), ('phototherapy', 'Phototherapy')], editable=False, max_length=40, verbose_name='prohibited reason')),
                ('deviation_due', models.BooleanField(default=False, editable=False, verbose_name='deviation due')),
                ('participant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='concomitant_medications', to='subjects.participant', verbose_name='participant')),
            ],
            options={
                'ordering': ['participant_id', 'id'],
                'verbose_name': 'concomitant medication',
                'verbose_name_plural': 'concomitant medications',
            },
        ),
        migrations.CreateModel(
            name='MedicalHistory',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('version', models.PositiveIntegerField(default=1, editable=False, help_text='Increases with every change (the ETag; edit forms carry it).')),
                ('category', models.CharField(choices=[('psoriasis', 'Psoriasis'), ('prior_psoriasis_therapy', 'Prior psoriasis therapy'), ('other_condition', 'Other condition')], max_length=24, verbose_name='category')),
                ('term', models.CharField(max_length=200, verbose_name='term')),
                ('psoriasis_type', models.CharField(blank=True, choices=[('plaque', 'Plaque'), ('guttate', 'Guttate'), ('pustular', 'Pustular'), ('erythrodermic', 'Erythrodermic'), ('other', 'Other')], max_length=16, verbose_name='psoriasis type')),
                ('therapy_type', models.CharField(blank=True, choices=[('topical', 'Topical'), ('phototherapy', 'Phototherapy'), ('conventional_systemic', 'Conventional systemic'), ('biologic', 'Biologic'), ('stem_cell', 'Stem-cell therapy'), ('other', 'Other')], max_length=24, verbose_name='therapy type')),
                ('start_date', models.CharField(blank=True, max_length=10, verbose_name='start date')),
                ('end_date', models.CharField(blank=True, max_length=10, verbose_name='end date / last dose')),
                ('ongoing', models.BooleanField(default=False, verbose_name='ongoing')),
                ('participant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='medical_history', to='subjects.participant', verbose_name='participant')),
            ],
            options={
                'verbose_name_plural': 'medical history',
                'ordering': ['participant_id', 'category', 'id'],
                'verbose_name': 'medical history',
            },
        ),
        migrations.CreateModel(
            name='WashoutOverride',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('version', models.PositiveIntegerField(default=1, editable=False, help_text='Increases with every change (the ETag; edit forms carry it).')),
                ('item', models.CharField(choices=[('recent_systemic_therapy', 'Recent systemic therapy'), ('prior_stem_cell_therapy', 'Previous stem-cell therapy')], max_length=32, verbose_name='exclusion item')),
                ('value', models.BooleanField(verbose_name='answer')),
                ('reason', models.TextField(verbose_name='reason')),
                ('participant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='washout_overrides', to='subjects.participant', verbose_name='participant')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('participant', 'item'), name='washout_override_once')],
                'verbose_name': 'washout override',
                'verbose_name_plural': 'washout overrides',
            },
        ),
        migrations.CreateModel(
            name='HistoricalConcomitantMedication',
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
                ('medication', models.CharField(max_length=200, verbose_name='medication')),
                ('medication_class', models.CharField(choices=[('methotrexate', 'Methotrexate'), ('ciclosporin', 'Ciclosporin (cyclosporine)'), ('acitretin', 'Acitretin'), ('apremilast', 'Apremilast'), ('fumarate', 'Fumarates (dimethyl fumarate, fumaric acid esters)'), ('other_psoriasis_systemic', 'Other systemic psoriasis therapy'), ('biologic', 'Biologic (any: TNF, IL-17, IL-23, IL-12/23 inhibitors …)'), ('prednisone', 'Corticosteroid: prednisone'), ('prednisolone', 'Corticosteroid: prednisolone'), ('methylprednisolone', 'Corticosteroid: methylprednisolone'), ('dexamethasone', 'Corticosteroid: dexamethasone'), ('betamethasone', 'Corticosteroid: betamethasone'), ('hydrocortisone', 'Corticosteroid: hydrocortisone'), ('cortisone', 'Corticosteroid: cortisone acetate'), ('triamcinolone', 'Corticosteroid: triamcinolone'), ('deflazacort', 'Corticosteroid: deflazacort'), ('other_corticosteroid', 'Corticosteroid: other'), ('immunosuppressant', 'Other immunosuppressant (azathioprine, mycophenolate, tacrolimus, JAK inhibitor, tripterygium …)'), ('phototherapy', 'Phototherapy (NB-UVB, PUVA, excimer)'), ('other', 'Any other medication')], max_length=32, verbose_name='class')),
                ('indication', models.CharField(max_length=200, verbose_name='indication')),
                ('dose', models.DecimalField(blank=True, decimal_places=3, max_digits=10, null=True, verbose_name='dose')),
                ('dose_unit', models.CharField(blank=True, choices=[('mg', 'mg'), ('g', 'g'), ('ug', 'µg'), ('mL', 'mL'), ('IU', 'IU'), ('TABLET', 'tablet'), ('CAPSULE', 'capsule'), ('PUFF', 'puff'), ('OTHER', 'other')], max_length=10, verbose_name='dose unit')),
                ('frequency', models.CharField(blank=True, choices=[('ONCE', 'Once'), ('QD', 'Once a day'), ('BID', 'Twice a day'), ('TID', 'Three times a day'), ('QID', 'Four times a day'), ('QOD', 'Every other day'), ('QS', 'Once a week'), ('PRN', 'As needed'), ('UNKNOWN', 'Unknown')], max_length=10, verbose_name='frequency')),
                ('route', models.CharField(choices=[('ORAL', 'Oral'), ('SUBLINGUAL', 'Sublingual'), ('INTRAVENOUS', 'Intravenous'), ('SUBCUTANEOUS', 'Subcutaneous'), ('INTRAMUSCULAR', 'Intramuscular'), ('TRANSDERMAL', 'Transdermal (patch)'), ('RECTAL', 'Rectal'), ('TOPICAL', 'Topical (skin)'), ('INTRALESIONAL', 'Intralesional'), ('INTRA-ARTICULAR', 'Intra-articular'), ('RESPIRATORY (INHALATION)', 'Inhaled'), ('NASAL', 'Nasal'), ('OPHTHALMIC', 'Eye'), ('VAGINAL', 'Vaginal'), ('OTHER', 'Other'), ('UNKNOWN', 'Unknown')], max_length=30, verbose_name='route')),
                ('start_date', models.CharField(blank=True, help_text='Empty: before', max_length=10, verbose_name='start date')),
                ('end_date', models.CharField(blank=True, max_length=10, verbose_name='end date')),
                ('ongoing', models.BooleanField(default=False, verbose_name='ongoing')),
                ('prior_or_concomitant', models.CharField(blank=True, choices=[('prior', 'Prior'), ('concomitant', 'Concomitant')], editable=False, max_length=12, verbose_name='prior or concomitant')),
                ('prohibited_reason', models.CharField(blank=True, choices=[('systemic_psoriasis_therapy', 'Systemic psoriasis therapy'), ('biologic', 'Biologic'), ('systemic_corticosteroid', 'Systemic corticosteroid above 10 mg/day prednisone equivalent'), ('systemic_corticosteroid_dose_unknown', 'Systemic corticosteroid whose prednisone-equivalent daily dose is not known: confirm'), ('systemic_immunosuppressant', 'Systemic immunosuppressant'), ('phototherapy', 'Phototherapy')], editable=False, max_length=40, verbose_name='prohibited reason')),
                ('deviation_due', models.BooleanField(default=False, editable=False, verbose_name='deviation due')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField()),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('participant', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='subjects.participant', verbose_name='participant')),
            ],
            options={
                'verbose_name': 'historical concomitant medication',
                'verbose_name_plural': 'historical concomitant medications',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
                'indexes': [models.Index(fields=['history_date', 'history_id'], name='medications_history_98b7ef_idx')],
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalMedicalHistory',
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
                ('category', models.CharField(choices=[('psoriasis', 'Psoriasis'), ('prior_psoriasis_therapy', 'Prior psoriasis therapy'), ('other_condition', 'Other condition')], max_length=24, verbose_name='category')),
                ('term', models.CharField(max_length=200, verbose_name='term')),
                ('psoriasis_type', models.CharField(blank=True, choices=[('plaque', 'Plaque'), ('guttate', 'Guttate'), ('pustular', 'Pustular'), ('erythrodermic', 'Erythrodermic'), ('other', 'Other')], max_length=16, verbose_name='psoriasis type')),
                ('therapy_type', models.CharField(blank=True, choices=[('topical', 'Topical'), ('phototherapy', 'Phototherapy'), ('conventional_systemic', 'Conventional systemic'), ('biologic', 'Biologic'), ('stem_cell', 'Stem-cell therapy'), ('other', 'Other')], max_length=24, verbose_name='therapy type')),
                ('start_date', models.CharField(blank=True, max_length=10, verbose_name='start date')),
                ('end_date', models.CharField(blank=True, max_length=10, verbose_name='end date / last dose')),
                ('ongoing', models.BooleanField(default=False, verbose_name='ongoing')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField()),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('participant', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='subjects.participant', verbose_name='participant')),
            ],
            options={
                'verbose_name': 'historical medical history',
                'verbose_name_plural': 'historical medical history',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
                'indexes': [models.Index(fields=['history_date', 'history_id'], name='medications_history_ba03a2_idx')],
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalWashoutOverride',
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
                ('item', models.CharField(choices=[('recent_systemic_therapy', 'Recent systemic therapy'), ('prior_stem_cell_therapy', 'Previous stem-cell therapy')], max_length=32, verbose_name='exclusion item')),
                ('value', models.BooleanField(verbose_name='answer')),
                ('reason', models.TextField(verbose_name='reason')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField()),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('participant', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='subjects.participant', verbose_name='participant')),
            ],
            options={
                'verbose_name': 'historical washout override',
                'verbose_name_plural': 'historical washout overrides',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
                'indexes': [models.Index(fields=['history_date', 'history_id'], name='medications_history_69a869_idx')],
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
    ]
