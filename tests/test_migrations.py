"""Data migrations run on databases that already hold data (and an append-only audit trail)."""

from datetime import date
from decimal import Decimal

import pytest
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import RemoveField

from assessments.models import PasiAssessment
from tests import factories
from tests.migration_graph import loader, migrate, migrate_to_latest

CHAINING = ("trialsite", "0005_audit_chain")
BEFORE = [("assessments", "0001_initial")]
AFTER = [("assessments", "0002_pasi_visit_code_improvement")]
WRITTEN = {"assessments", "trialsite"}  # going back to BEFORE unapplies these apps' migrations


def test_the_squashed_migrations_build_what_the_migrations_as_written_build():
    """New databases are built through the squashed migrations: the same models with the same fields,
    options, indexes and constraints as through every migration as written."""
    squashed = MigrationLoader(None, ignore_no_migrations=True).project_state()
    written = loader(None).project_state()
    assert squashed.models.keys() == written.models.keys()
    assert [key for key, model in written.models.items() if squashed.models[key] != model] == []


@pytest.mark.django_db(transaction=True)
def test_pasi_derived_values_are_backfilled_with_a_history_record(coordinator):
    participant = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
    for code, total in {"W0": "16.0", "W4": "16.1", "W8": "4.0"}.items():  # W0 on Day 1: the baseline
        factories.pasi_assessment(participant, code, total, coordinator)
    migrate(BEFORE, WRITTEN)  # the columns go: the rows are as a database before this change holds them
    try:
        migrate(AFTER, WRITTEN)
    finally:
        migrate_to_latest(WRITTEN)  # leave the schema as the other tests expect it, whatever happened
    stored = {a.visit_code: a.improvement_percent for a in PasiAssessment.objects.filter(participant=participant)}
    # (16.0 - 16.1) / 16.0 = -0.625 % -> -0.6 (half away from zero); (16.0 - 4.0) / 16.0 = 75 %; none at
    # the baseline visit W0 (stored as 0.0 by this migration, cleared by the later one for baseline visits)
    assert stored == {"W0": None, "W4": Decimal("-0.6"), "W8": Decimal("75.0")}
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


def test_history_rows_are_chained_once_and_no_chained_column_is_dropped_afterwards():
    """The migration that chains the existing history rows runs after every migration that writes
    history rows or drops a history column; a column dropped later would leave older rows unverifiable
    (their hashes cover it)."""
    graph = loader(None).graph
    before = set(graph.forwards_plan(CHAINING))
    assert {
        ("safety", "0003_ae_treatment_emergent_derived"),  # drops a history column
        ("assessments", "0004_no_improvement_at_baseline_visits"),  # writes history rows
    } <= before
    # labs 0002 writes the normal ranges' first history rows outside the chain: 0008 chains them
    assert ("labs", "0002_site_normal_ranges") in graph.forwards_plan(("trialsite", "0008_chain_loaded_history"))
    after = [key for key in graph.nodes if key not in before]
    dropped = [
        (key, operation.model_name, operation.name)
        for key in after
        for operation in graph.nodes[key].operations
        if isinstance(operation, RemoveField) and operation.model_name.startswith("historical")
    ]
    assert dropped == []
