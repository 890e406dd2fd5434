"""Load the study configuration of S2018-11 (PROTOCOL §1, §3) with an initial audit record."""

from django.db import migrations
from django.utils import timezone

TITLE = (
    "Efficacy and Safety of Expanded Umbilical Cord Mesenchymal Stem Cells on Patients "
    "with Moderate to Severe Psoriasis"
)
# code, visitnum, week, window before, window after, dosing. SCR and W0 windows are derived
# from screening_window_days (PROTOCOL §3), so their own offsets stay 0.
VISITS = [
    ("SCR", 0, None, 0, 0, False),
    ("W0", 1, 0, 0, 0, True),
    ("W2", 2, 2, 3, 3, True),
    ("W4", 3, 4, 3, 3, True),
    ("W6", 4, 6, 3, 3, True),
    ("W8", 5, 8, 3, 3, True),
    ("W12", 6, 12, 3, 3, False),
]
REASON = "Initial study configuration from the protocol (PROTOCOL.md v1)"


def _history(apps, model_name, obj):
    history = apps.get_model("subjects", f"Historical{model_name}")
    if history.objects.filter(id=obj.id).exists():
        return  # already recorded (when re-loaded with the live models in tests)
    fields = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
    history.objects.create(
        history_date=timezone.now(), history_type="+", history_change_reason=REASON, **fields
    )


def load(apps, schema_editor):
    Study = apps.get_model("subjects", "Study")
    VisitDefinition = apps.get_model("subjects", "VisitDefinition")
    if Study.objects.exists():
        return
    study = Study.objects.create(title=TITLE)
    _history(apps, "Study", study)
    for code, visitnum, week, before, after, dosing in VISITS:
        definition = VisitDefinition.objects.create(
            study=study, code=code, visitnum=visitnum, week=week,
            window_before_days=before, window_after_days=after, dosing=dosing,
        )
        _history(apps, "VisitDefinition", definition)


class Migration(migrations.Migration):
    dependencies = [("subjects", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
