"""Load the site's normal ranges (adults, standard units) with an initial audit record.

A laboratory that changes its ranges gets new rows with a later effective date (labs.services).
"""

from datetime import date
from decimal import Decimal

from django.db import migrations
from django.utils import timezone

EFFECTIVE_FROM = date(2018, 1, 1)
# test, sex ("" both), LLN, ULN — standard units of PROTOCOL §8.
RANGES = [
    ("HGB", "M", "130", "175"),
    ("HGB", "F", "115", "150"),
    ("WBC", "", "3.5", "9.5"),
    ("NEUT", "", "1.8", "6.3"),
    ("LYM", "", "1.1", "3.2"),
    ("PLAT", "", "125", "350"),
    ("ALT", "M", "9", "50"),
    ("ALT", "F", "7", "40"),
    ("AST", "M", "15", "40"),
    ("AST", "F", "13", "35"),
    ("BILI", "", "0", "21"),
    ("CREAT", "M", "57", "111"),
    ("CREAT", "F", "41", "81"),
]
REASON = "Site normal ranges at study start (laboratory reference list)"


def load(apps, schema_editor):
    NormalRange = apps.get_model("labs", "NormalRange")
    History = apps.get_model("labs", "HistoricalNormalRange")
    if NormalRange.objects.exists():
        return
    for test_code, sex, lln, uln in RANGES:
        row = NormalRange.objects.create(
            test_code=test_code, sex=sex, age_from=0, age_to=None, effective_from=EFFECTIVE_FROM,
            lln=Decimal(lln), uln=Decimal(uln),
        )
        fields = {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}
        History.objects.create(history_date=timezone.now(), history_type="+", history_change_reason=REASON, **fields)


class Migration(migrations.Migration):
    dependencies = [("labs", "0001_lab_panels_results_ranges")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
