"""PASI assessments carry their visit code and their improvement against the baseline PASI.

Both are derived values stored with the form (assessments.services keeps them from now on). Existing
assessments get them here, computed by the PASI rules from their visit and the participant's
baseline; existing history rows get the visit code (it never changed) and no improvement (the
baseline at the time of each row is not recorded with it).
"""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

BATCH = 2000


def backfill(apps, schema_editor):
    from assessments.pasi import improvement_percent

    PasiAssessment = apps.get_model("assessments", "PasiAssessment")
    HistoricalPasiAssessment = apps.get_model("assessments", "HistoricalPasiAssessment")
    Visit = apps.get_model("subjects", "Visit")
    rows = PasiAssessment.objects.select_related("visit", "participant").order_by("pk")
    batch = []
    for assessment in rows.iterator(chunk_size=BATCH):
        assessment.visit_code = assessment.visit.visit_code
        assessment.improvement_percent = improvement_percent(
            assessment.participant.baseline_pasi, assessment.pasi_total
        )
        batch.append(assessment)
        if len(batch) == BATCH:
            PasiAssessment.objects.bulk_update(batch, ["visit_code", "improvement_percent"])
            batch = []
    if batch:
        PasiAssessment.objects.bulk_update(batch, ["visit_code", "improvement_percent"])
    HistoricalPasiAssessment.objects.update(
        visit_code=Subquery(Visit.objects.filter(pk=OuterRef("visit_id")).values("visit_code")[:1])
    )


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
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="pasiassessment",
            constraint=models.CheckConstraint(
                condition=models.Q(improvement_percent__lte=100), name="pasi_improvement_at_most_100"
            ),
        ),
    ]
