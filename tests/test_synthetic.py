"""The synthetic study generator: valid, deterministic, marked synthetic, audited, bulk, refuses real data."""

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from assessments import pasi
from assessments.models import PasiAssessment
from assessments.services import baseline_assessment
from bench import synthetic
from deviations.models import ProtocolDeviation
from dosing import dose
from dosing.models import Infusion, VitalSigns
from labs.models import FirstInfusion, LabPanel, LabResult
from medications.models import ConcomitantMedication, MedicalHistory
from safety import rules as safety_rules
from safety.models import AdverseEvent, SafetyHold
from signatures.models import Signature
from subjects import eligibility
from subjects.models import Participant, ParticipantStatus, Screening, Study, Visit
from tests import factories
from trialsite import chain

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TODAY = date(2026, 6, 15)
MODELS = (
    Participant, Screening, Visit, Infusion, VitalSigns, PasiAssessment, AdverseEvent, SafetyHold, Signature,
    FirstInfusion, LabPanel, LabResult, ConcomitantMedication, MedicalHistory, ProtocolDeviation,
)  # fmt: skip

pytestmark = pytest.mark.django_db


class _Rollback(Exception):
    pass


def _generate_then_roll_back(participants: int, seed: int, inspect):
    """Generate inside a transaction, return inspect()'s result, and leave the database as it was."""
    result = None
    try:
        with transaction.atomic():
            synthetic.generate_study(participants=participants, seed=seed)
            result = inspect()
            raise _Rollback
    except _Rollback:
        pass
    return result


def _snapshot():
    skip = {"id", "created_at", "updated_at", "record_hash", "source_key"}  # both name records' ids
    return {
        model.__name__: [
            tuple(v for k, v in sorted(row.items()) if k not in skip and not k.endswith("_id"))
            for row in model.objects.order_by("pk").values()
        ]
        for model in MODELS
    }


def _regions(assessment) -> dict:
    return {
        region: pasi.RegionScores(
            getattr(assessment, f"{region}_erythema"),
            getattr(assessment, f"{region}_induration"),
            getattr(assessment, f"{region}_desquamation"),
            getattr(assessment, f"{region}_area_score"),
        )
        for region in pasi.REGIONS
    }


@time_machine.travel(NOW, tick=False)
def test_command_builds_a_valid_synthetic_study_with_its_audit_trail():
    call_command("generate_synthetic_study", "--participants", "30", "--seed", "5", stdout=io.StringIO())

    participants = list(Participant.objects.all())
    assert len(participants) == 30
    assert all(p.is_synthetic for p in participants)
    statuses = {p.status for p in participants}
    assert {ParticipantStatus.COMPLETED, ParticipantStatus.SCREEN_FAILED} <= statuses
    assert Study.current().enrollment_target == 30
    assert Study.current().history.filter(history_change_reason__startswith="Synthetic data (seed 5)").exists()

    # Every row has its "+" history row, attributed to the synthetic system user with the seed.
    for model in MODELS:
        rows = model.objects.count()
        history = model.history.filter(history_type="+", history_change_reason="Synthetic data (seed 5)")
        assert history.count() == rows, model.__name__
        assert set(history.values_list("history_user__username", flat=True)) <= {"synthetic"}
    # ... and every history row is a link of the audit trail's hash chain.
    verification = chain.verify()
    assert verification.ok, verification.problems[:3]

    # A sample of every model passes the model validators and constraints.
    for model in MODELS:
        for obj in model.objects.order_by("pk")[:15]:
            obj.full_clean()

    criteria = Study.current().eligibility_criteria
    for screening in Screening.objects.select_related("participant"):
        p = screening.participant
        result = eligibility.evaluate(
            eligibility.ScreeningFacts(
                screening_date=screening.screening_date,
                date_of_birth=p.date_of_birth,
                consent_date=p.consent_date,
                consent_version=p.consent_version,
                screening_pasi=screening.screening_pasi,
                bsa_percent=screening.bsa_percent,
                exclusions=screening.exclusions(),
            ),
            criteria,
        )
        assert (screening.eligible, screening.failed_criteria) == (result.eligible, list(result.failed))
        assert bool(p.subject_id) == (p.status not in (ParticipantStatus.SCREEN_FAILED, ParticipantStatus.SCREENING))
        if p.subject_id:
            assert p.usubjid == f"S2018-11-01-{p.subject_id}"
            assert p.visits.count() == 7
    assert Screening.objects.filter(eligible=False).exists()

    for assessment in PasiAssessment.objects.all():
        assert assessment.pasi_total == pasi.pasi_total(_regions(assessment))
        for region in pasi.REGIONS:
            area = getattr(assessment, f"{region}_area_percent")
            assert getattr(assessment, f"{region}_area_score") == pasi.area_score(area)
    for p in Participant.objects.exclude(day1_date=None):
        assert p.baseline_pasi == p.pasi_assessments.get(visit__visit_code="W0").pasi_total
    for p in Participant.objects.all():  # the application's rule, for everyone (screen failures too)
        chosen = baseline_assessment(p)
        assert p.baseline_pasi == (chosen.pasi_total if chosen else None)
    for assessment in PasiAssessment.objects.select_related("visit", "participant"):  # the stored derived values
        assert assessment.visit_code == assessment.visit.visit_code
        expected = pasi.improvement_percent(assessment.participant.baseline_pasi, assessment.pasi_total)
        expected = expected if pasi.is_after_baseline(assessment.visit_code) else None
        assert assessment.improvement_percent == expected

    infusions = list(Infusion.objects.all())
    assert infusions
    for infusion in infusions:
        assert infusion.planned_cells == dose.planned_cells(infusion.weight_kg_used, infusion.dose_per_kg)
        deviation = dose.is_dose_deviation(infusion.planned_cells, infusion.administered_cells, 10)
        assert infusion.dose_deviation == deviation
        assert bool(infusion.deviation_reason) == infusion.dose_deviation
        assert infusion.start_time.astimezone(NOW.tzinfo).date() == infusion.visit.actual_date
    assert max(Infusion.objects.values_list("infusion_number", flat=True)) <= 5

    for visit in Visit.objects.all():
        assert visit.status == visit.state_on(TODAY)
        assert visit.actual_date is None or visit.actual_date < TODAY

    from safety.services import facts_of

    for ae in AdverseEvent.objects.select_related("participant", "infusion"):
        assert safety_rules.consistency_errors(facts_of(ae, ae.participant), today=TODAY, now=NOW) == {}


@time_machine.travel(NOW, tick=False)
def test_same_seed_gives_the_same_study_and_another_seed_another():
    first = _generate_then_roll_back(10, 11, _snapshot)
    second = _generate_then_roll_back(10, 11, _snapshot)
    other = _generate_then_roll_back(10, 12, _snapshot)
    assert first == second
    assert first["Participant"] and first["VitalSigns"]
    assert first != other


@time_machine.travel(NOW, tick=False)
def test_refuses_a_database_with_real_participants(coordinator):
    factories.participant(coordinator)
    with pytest.raises(CommandError, match="real participants"):
        call_command("generate_synthetic_study", "--participants", "5", "--seed", "1")
    assert not Participant.objects.filter(is_synthetic=True).exists()
    assert Study.current().enrollment_target == 5


@time_machine.travel(NOW, tick=False)
def test_inserts_in_bulk_with_a_bounded_number_of_queries():
    def count_queries(participants):
        with CaptureQueriesContext(connection) as queries:
            rows = _generate_then_roll_back(participants, 3, lambda: sum(m.objects.count() for m in MODELS))
        return len(queries), rows

    small, small_rows = count_queries(10)
    large, large_rows = count_queries(30)
    assert large_rows > 2 * small_rows
    assert large < large_rows / 10  # batches, never a query per row
    if connection.vendor == "postgresql":
        # Per table and batch of 5 000 rows: reserve ids, COPY rows, link the history rows into the audit
        # chain (lock and move its head), COPY history; the rest is fixed.
        # lookups, the study update (with its chain link), savepoints, this test's own counts, the normal
        # ranges and the deviations inserted once their records have ids
        overhead = 50
        assert small <= 5 * len(MODELS) + overhead
        assert large <= 5 * len(MODELS) + overhead
