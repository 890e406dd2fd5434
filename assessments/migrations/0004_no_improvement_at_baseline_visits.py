"""No improvement is defined at or before the baseline (PROTOCOL §5): assessments at the baseline
visits (SCR, W0) had one stored against the baseline. It is cleared here, each with a history record
saying why (the audit trail is append-only: earlier records keep the value they had)."""

from django.db import migrations
from django.utils import timezone

BASELINE_VISITS = ("SCR", "W0")  # assessments.pasi.BASELINE_VISITS when this was written
REASON = "Improvement cleared: none is defined at or before the baseline visit"


def clear(apps, schema_editor):
    PasiAssessment = apps.get_model("assessments", "PasiAssessment")
    HistoricalPasiAssessment = apps.get_model("assessments", "HistoricalPasiAssessment")
    names = [field.attname for field in PasiAssessment._meta.concrete_fields]
    now = timezone.now()
    stale = PasiAssessment.objects.filter(visit_code__in=BASELINE_VISITS, improvement_percent__isnull=False)
    batch = list(stale.order_by("pk"))
    for assessment in batch:
        assessment.improvement_percent = None
    PasiAssessment.objects.bulk_update(batch, ["improvement_percent"], batch_size=2000)
    HistoricalPasiAssessment.objects.bulk_create(
        (
            HistoricalPasiAssessment(
                **{name: getattr(assessment, name) for name in names},
                history_date=now,
                history_type="~",
                history_user_id=None,
                history_change_reason=REASON,
            )
            for assessment in batch
        ),
        batch_size=2000,
    )


class Migration(migrations.Migration):
    dependencies = [("assessments", "0003_pasi_visit_improvement_index")]

    operations = [migrations.RunPython(clear, migrations.RunPython.noop, elidable=True)]
