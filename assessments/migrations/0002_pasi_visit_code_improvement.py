"""PASI assessments carry their visit code and their improvement against the baseline PASI.

Both are derived values stored with the form (assessments.services keeps them from now on). Existing
assessments get them here, computed by the PASI rules from their visit and the participant's
baseline, and each gets a history record saying so: the audit trail is append-only (a database
trigger refuses to change its rows), so its earlier rows keep an empty visit code and no
improvement, and the record below is where both values appear, with the reason.
"""

from django.db import migrations, models
from django.utils import timezone

BATCH = 2000
REASON = "Derived values stored: visit code and improvement against the baseline PASI (schema change)"


def backfill(apps, schema_editor):
    from assessments.pasi import improvement_percent

    PasiAssessment = apps.get_model("assessments", "PasiAssessment")
    HistoricalPasiAssessment = apps.get_model("assessments", "HistoricalPasiAssessment")
    names = [field.attname for field in PasiAssessment._meta.concrete_fields]
    now = timezone.now()
    rows = PasiAssessment.objects.select_related("visit", "participant").order_by("pk")
    batch = []

    def store(batch):
        PasiAssessment.objects.bulk_update(batch, ["visit_code", "improvement_percent"])
        HistoricalPasiAssessment.objects.bulk_create(
            HistoricalPasiAssessment(
                **{name: getattr(assessment, name) for name in names},
                history_date=now,
                history_type="~",
                history_user_id=None,
                history_change_reason=REASON,
            )
            for assessment in batch
        )

    for assessment in rows.iterator(chunk_size=BATCH):
        assessment.visit_code = assessment.visit.visit_code
        assessment.improvement_percent = improvement_percent(
            assessment.participant.baseline_pasi, assessment.pasi_total
        )
        batch.append(assessment)
        if len(batch) == BATCH:
            store(batch)
            batch = []
    if batch:
        store(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0001_initial"),
        ("subjects", "0004_screening_failed_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="pasiassessment",
            name="visit_code",
            field=models.CharField(default="", editable=False, max_length=4),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="historicalpasiassessment",
            name="visit_code",
            field=models.CharField(default="", editable=False, max_length=4),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="pasiassessment",
            name="improvement_percent",
            field=models.DecimalField(blank=True, decimal_places=1, editable=False, max_digits=7, null=True),
        ),
        migrations.AddField(
            model_name="historicalpasiassessment",
            name="improvement_percent",
            field=models.DecimalField(blank=True, decimal_places=1, editable=False, max_digits=7, null=True),
        ),
        migrations.AddConstraint(
            model_name="pasiassessment",
            constraint=models.CheckConstraint(
                condition=models.Q(improvement_percent__lte=100), name="pasi_improvement_at_most_100"
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
