"""safety 0001–0010 in one migration, which Django runs only on a database where none of them has run.

Its schema operations are optimised (indexes and constraints last); a new database needs none of
the data steps.
"""

import django.core.validators
import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    replaces = [('safety', '0001_initial'), ('safety', '0002_reminder_sweep_run'), ('safety', '0003_ae_treatment_emergent_derived'), ('safety', '0004_version_and_audit_chain'), ('safety', '0005_adverseevent_coded_llt'), ('safety', '0006_notification_for_protocol_deviations'), ('safety', '0007_verbose_names_for_translation'), ('safety', '0008_history_order_index'), ('safety', '0009_model_names'), ('safety', '0010_field_names')]

    initial = True

    dependencies = [
        ('coding', '0001_initial'),
        ('dosing', '0001_initial'),
        ('dosing', '0004_verbose_names_for_translation'),
        ('dosing', '0005_history_order_index'),
        ('subjects', '0001_initial'),
        ('subjects', '0007_signoff_to_signatures'),
        ('subjects', '0009_history_order_index'),
        ('subjects', '0010_field_names'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AdverseEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('ae_number', models.PositiveIntegerField(editable=False, verbose_name='ae number')),
                ('term', models.CharField(max_length=200, verbose_name='term')),
                ('onset_date', models.DateField(verbose_name='onset date')),
                ('end_date', models.DateField(blank=True, null=True, verbose_name='end date')),
                ('ongoing', models.BooleanField(default=False, verbose_name='ongoing')),
                ('grade', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(5)], verbose_name='grade')),
                ('serious', models.BooleanField(default=False, verbose_name='serious')),
                ('death', models.BooleanField(default=False, verbose_name='death')),
                ('life_threatening', models.BooleanField(default=False, verbose_name='life threatening')),
                ('hospitalization', models.BooleanField(default=False, verbose_name='hospitalization')),
                ('disability', models.BooleanField(default=False, verbose_name='disability')),
                ('congenital_anomaly', models.BooleanField(default=False, verbose_name='congenital anomaly')),
                ('important_medical_event', models.BooleanField(default=False, verbose_name='important medical event')),
                ('relationship', models.CharField(choices=[('not_related', 'Not related'), ('unlikely', 'Unlikely'), ('possible', 'Possible'), ('probable', 'Probable'), ('definite', 'Definite')], max_length=12, verbose_name='relationship')),
                ('expected', models.BooleanField(verbose_name='expected')),
                ('action_taken', models.CharField(choices=[('dose_not_changed', 'Dose not changed'), ('drug_interrupted', 'Drug interrupted'), ('drug_withdrawn', 'Drug withdrawn'), ('not_applicable', 'Not applicable'), ('unknown', 'Unknown')], max_length=20, verbose_name='action taken')),
                ('outcome', models.CharField(choices=[('recovered', 'Recovered/resolved'), ('recovering', 'Recovering/resolving'), ('not_recovered', 'Not recovered/not resolved'), ('recovered_with_sequelae', 'Recovered/resolved with sequelae'), ('fatal', 'Fatal'), ('unknown', 'Unknown')], max_length=24, verbose_name='outcome')),
                ('infusion_reaction', models.BooleanField(default=False, verbose_name='infusion reaction')),
                ('awareness_time', models.DateTimeField(blank=True, null=True, verbose_name='awareness time')),
                ('reported_to_sponsor_at', models.DateTimeField(blank=True, null=True, verbose_name='reported to sponsor at')),
                ('causality_assessed_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='causality assessed at')),
                ('causality_assessed_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='causality assessed by')),
                ('infusion', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='adverse_events', to='dosing.infusion', verbose_name='infusion')),
                ('participant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='adverse_events', to='subjects.participant', verbose_name='participant')),
                ('version', models.PositiveIntegerField(default=1, editable=False, help_text='Increases with every change (the ETag; edit forms carry it).')),
                ('coded_llt', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='coding.lowestlevelterm', verbose_name='coded LLT')),
            ],
            options={
                'ordering': ['participant_id', 'ae_number'],
                'verbose_name': 'adverse event',
                'verbose_name_plural': 'adverse events',
            },
        ),
        migrations.CreateModel(
            name='Reminder',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('window_opens_soon', 'Visit window opens soon'), ('window_open', 'Visit window open'), ('window_closes_today', 'Visit window closes today'), ('visit_missed', 'Visit missed'), ('sae_due', 'SAE report due'), ('sae_overdue', 'SAE report overdue')], max_length=24)),
                ('due_date', models.DateField()),
                ('message', models.CharField(max_length=300)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('email_claimed_at', models.DateTimeField(blank=True, null=True)),
                ('email_sent_at', models.DateTimeField(blank=True, null=True)),
                ('email_attempts', models.PositiveSmallIntegerField(default=0)),
                ('email_last_error', models.TextField(blank=True)),
                ('adverse_event', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='reminders', to='safety.adverseevent')),
                ('participant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='reminders', to='subjects.participant')),
                ('visit', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='reminders', to='subjects.visit')),
                ('sweep_run', models.UUIDField(blank=True, db_index=True, editable=False, null=True)),
            ],
            options={
                'ordering': ['due_date', 'id'],
            },
        ),
        migrations.CreateModel(
            name='ReminderAcknowledgement',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('acknowledged_at', models.DateTimeField(auto_now_add=True)),
                ('reminder', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='acknowledgements', to='safety.reminder')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.CreateModel(
            name='Notification',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('sae_created', 'New serious adverse event'), ('protocol_deviation', 'Protocol deviation (prohibited medication)')], max_length=20)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('claimed_at', models.DateTimeField(blank=True, null=True)),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('last_error', models.TextField(blank=True)),
                ('recipients', models.JSONField(blank=True, default=list)),
                ('adverse_event', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='notifications', to='safety.adverseevent')),
                ('body', models.TextField(blank=True)),
                ('subject', models.CharField(blank=True, max_length=200)),
            ],
        ),
        migrations.CreateModel(
            name='HistoricalAdverseEvent',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('created_at', models.DateTimeField(blank=True, editable=False)),
                ('updated_at', models.DateTimeField(blank=True, editable=False)),
                ('history_change_reason', models.TextField(null=True)),
                ('ae_number', models.PositiveIntegerField(editable=False, verbose_name='ae number')),
                ('term', models.CharField(max_length=200, verbose_name='term')),
                ('onset_date', models.DateField(verbose_name='onset date')),
                ('end_date', models.DateField(blank=True, null=True, verbose_name='end date')),
                ('ongoing', models.BooleanField(default=False, verbose_name='ongoing')),
                ('grade', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(5)], verbose_name='grade')),
                ('serious', models.BooleanField(default=False, verbose_name='serious')),
                ('death', models.BooleanField(default=False, verbose_name='death')),
                ('life_threatening', models.BooleanField(default=False, verbose_name='life threatening')),
                ('hospitalization', models.BooleanField(default=False, verbose_name='hospitalization')),
                ('disability', models.BooleanField(default=False, verbose_name='disability')),
                ('congenital_anomaly', models.BooleanField(default=False, verbose_name='congenital anomaly')),
                ('important_medical_event', models.BooleanField(default=False, verbose_name='important medical event')),
                ('relationship', models.CharField(choices=[('not_related', 'Not related'), ('unlikely', 'Unlikely'), ('possible', 'Possible'), ('probable', 'Probable'), ('definite', 'Definite')], max_length=12, verbose_name='relationship')),
                ('expected', models.BooleanField(verbose_name='expected')),
                ('action_taken', models.CharField(choices=[('dose_not_changed', 'Dose not changed'), ('drug_interrupted', 'Drug interrupted'), ('drug_withdrawn', 'Drug withdrawn'), ('not_applicable', 'Not applicable'), ('unknown', 'Unknown')], max_length=20, verbose_name='action taken')),
                ('outcome', models.CharField(choices=[('recovered', 'Recovered/resolved'), ('recovering', 'Recovering/resolving'), ('not_recovered', 'Not recovered/not resolved'), ('recovered_with_sequelae', 'Recovered/resolved with sequelae'), ('fatal', 'Fatal'), ('unknown', 'Unknown')], max_length=24, verbose_name='outcome')),
                ('infusion_reaction', models.BooleanField(default=False, verbose_name='infusion reaction')),
                ('awareness_time', models.DateTimeField(blank=True, null=True, verbose_name='awareness time')),
                ('reported_to_sponsor_at', models.DateTimeField(blank=True, null=True, verbose_name='reported to sponsor at')),
                ('causality_assessed_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='causality assessed at')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField()),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('causality_assessed_by', models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='causality assessed by')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('infusion', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='dosing.infusion', verbose_name='infusion')),
                ('participant', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='subjects.participant', verbose_name='participant')),
                ('chain_fields', models.TextField(blank=True, editable=False)),
                ('chain_hash', models.CharField(blank=True, editable=False, max_length=64)),
                ('chain_position', models.BigIntegerField(blank=True, db_index=True, editable=False, null=True)),
                ('row_hash', models.CharField(blank=True, editable=False, max_length=64)),
                ('version', models.PositiveIntegerField(default=1, editable=False, help_text='Increases with every change (the ETag; edit forms carry it).')),
                ('coded_llt', models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='coding.lowestlevelterm', verbose_name='coded LLT')),
            ],
            options={
                'verbose_name': 'historical adverse event',
                'verbose_name_plural': 'historical adverse events',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalSafetyHold',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('created_at', models.DateTimeField(blank=True, editable=False)),
                ('updated_at', models.DateTimeField(blank=True, editable=False)),
                ('history_change_reason', models.TextField(null=True)),
                ('placed_at', models.DateTimeField(verbose_name='placed at')),
                ('reason', models.TextField(verbose_name='reason')),
                ('released_at', models.DateTimeField(blank=True, null=True, verbose_name='released at')),
                ('release_reason', models.TextField(blank=True, verbose_name='release reason')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField()),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('adverse_event', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='safety.adverseevent', verbose_name='adverse event')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('participant', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='subjects.participant', verbose_name='participant')),
                ('released_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='released by')),
                ('chain_fields', models.TextField(blank=True, editable=False)),
                ('chain_hash', models.CharField(blank=True, editable=False, max_length=64)),
                ('chain_position', models.BigIntegerField(blank=True, db_index=True, editable=False, null=True)),
                ('row_hash', models.CharField(blank=True, editable=False, max_length=64)),
                ('version', models.PositiveIntegerField(default=1, editable=False, help_text='Increases with every change (the ETag; edit forms carry it).')),
            ],
            options={
                'verbose_name': 'historical safety hold',
                'verbose_name_plural': 'historical safety holds',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='SafetyHold',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('placed_at', models.DateTimeField(verbose_name='placed at')),
                ('reason', models.TextField(verbose_name='reason')),
                ('released_at', models.DateTimeField(blank=True, null=True, verbose_name='released at')),
                ('release_reason', models.TextField(blank=True, verbose_name='release reason')),
                ('adverse_event', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='safety_holds', to='safety.adverseevent', verbose_name='adverse event')),
                ('participant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='safety_holds', to='subjects.participant', verbose_name='participant')),
                ('released_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='released by')),
                ('version', models.PositiveIntegerField(default=1, editable=False, help_text='Increases with every change (the ETag; edit forms carry it).')),
            ],
            options={
                'ordering': ['-placed_at'],
                'verbose_name': 'safety hold',
                'verbose_name_plural': 'safety holds',
            },
        ),
        migrations.AddIndex(
            model_name='adverseevent',
            index=models.Index(fields=['serious', 'reported_to_sponsor_at'], name='safety_adve_serious_01a053_idx'),
        ),
        migrations.AddConstraint(
            model_name='adverseevent',
            constraint=models.UniqueConstraint(fields=('participant', 'ae_number'), name='ae_unique_number'),
        ),
        migrations.AddConstraint(
            model_name='adverseevent',
            constraint=models.CheckConstraint(condition=models.Q(('end_date__isnull', True), ('end_date__gte', models.F('onset_date')), _connector='OR'), name='ae_end_not_before_onset'),
        ),
        migrations.AddConstraint(
            model_name='notification',
            constraint=models.UniqueConstraint(fields=('adverse_event', 'kind'), name='notification_once_per_ae_kind'),
        ),
        migrations.AddIndex(
            model_name='reminder',
            index=models.Index(fields=['email_sent_at'], name='safety_remi_email_s_703765_idx'),
        ),
        migrations.AddConstraint(
            model_name='reminder',
            constraint=models.UniqueConstraint(condition=models.Q(('visit__isnull', False)), fields=('visit', 'kind'), name='reminder_once_per_visit_kind'),
        ),
        migrations.AddConstraint(
            model_name='reminder',
            constraint=models.UniqueConstraint(condition=models.Q(('adverse_event__isnull', False)), fields=('adverse_event', 'kind'), name='reminder_once_per_ae_kind'),
        ),
        migrations.AddConstraint(
            model_name='reminder',
            constraint=models.CheckConstraint(condition=models.Q(('visit__isnull', True), ('adverse_event__isnull', True), _connector='XOR'), name='reminder_visit_xor_ae'),
        ),
        migrations.AddConstraint(
            model_name='reminderacknowledgement',
            constraint=models.UniqueConstraint(fields=('reminder', 'user'), name='reminder_ack_once'),
        ),
        migrations.AddConstraint(
            model_name='safetyhold',
            constraint=models.UniqueConstraint(fields=('adverse_event',), name='hold_once_per_ae'),
        ),
        migrations.AddIndex(
            model_name='historicaladverseevent',
            index=models.Index(fields=['history_date', 'history_id'], name='safety_hist_history_60248b_idx'),
        ),
        migrations.AddIndex(
            model_name='historicalsafetyhold',
            index=models.Index(fields=['history_date', 'history_id'], name='safety_hist_history_a79f02_idx'),
        ),
    ]
