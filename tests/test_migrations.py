"""Data migrations run on databases that already hold data (and an append-only audit trail)."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from assessments.models import PasiAssessment
from tests import factories
from trialsite.audit import audited_save

BEFORE = [("assessments", "0001_initial")]
AFTER = [("assessments", "0002_pasi_visit_code_improvement")]


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def migrate_to_latest() -> None:
    """Every app at its last migration (going back to BEFORE also unapplied the migrations after it)."""
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_pasi_derived_values_are_backfilled_with_a_history_record(coordinator):
    participant = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
    participant.baseline_pasi = Decimal("16.0")
    audited_save(participant, user=coordinator, reason="test: baseline")
    for code, total in {"W0": "16.0", "W4": "16.1", "W8": "4.0"}.items():
        factories.pasi_assessment(participant, code, total, coordinator)
    migrate(BEFORE)  # the columns go: the rows are as a database before this change holds them
    try:
        migrate(AFTER)
    finally:
        migrate_to_latest()  # leave the schema as the other tests expect it, whatever happened
    stored = {a.visit_code: a.improvement_percent for a in PasiAssessment.objects.filter(participant=participant)}
    # (16.0 - 16.1) / 16.0 = -0.625 % -> -0.6 (half away from zero); (16.0 - 4.0) / 16.0 = 75 %
    assert stored == {"W0": Decimal("0.0"), "W4": Decimal("-0.6"), "W8": Decimal("75.0")}
    w4 = PasiAssessment.objects.get(participant=participant, visit_code="W4")
    records = list(w4.history.order_by("history_id"))
    assert len(records) == 2  # the entry, then the migration's record: nothing earlier was changed
    assert records[0].visit_code == "" and records[0].improvement_percent is None
    latest = records[-1]
    assert (latest.visit_code, latest.improvement_percent, latest.pasi_total) == (
        "W4",
        Decimal("-0.6"),
        Decimal("16.1"),
    )
    assert latest.history_change_reason.startswith("Derived values stored") and latest.history_user_id is None
