"""The study's soft edit checks: each raises a system query and closes it when corrected."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from datamanagement.editchecks import CHECKS
from datamanagement.models import Query, QueryState
from dosing.services import infusion_record, vitals_record
from safety.services import adverse_event_record
from subjects.models import Visit
from trialsite import audit
from trialsite.audit import audited_save

from .factories import enrolled_participant, pasi_assessment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]
TZ = ZoneInfo("Asia/Shanghai")
W0 = date(2024, 1, 10)


@pytest.fixture
def frozen():
    with time_machine.travel(datetime(2024, 4, 20, 12, tzinfo=TZ), tick=False):
        yield


@pytest.fixture
def participant(coordinator, study):
    return enrolled_participant(coordinator, screening_date=date(2024, 1, 3), planned_day1=W0)


def at(day, hour=8):
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ)


def visit(participant, code):
    return Visit.objects.get(participant=participant, visit_code=code)


def vitals(participant, user, code, day, timepoint="visit", **values):
    return vitals_record(visit=visit(participant, code), user=user, timepoint=timepoint, measured_at=at(day), **values)


def infuse(participant, user, code="W0", day=W0):
    vitals(participant, user, code, day, timepoint="pre_infusion", weight_kg=Decimal("63.5"))
    return infusion_record(
        visit=visit(participant, code),
        user=user,
        administered_cells=127_000_000,
        product_lot="UC-2024-007",
        viability_percent=Decimal("92.5"),
        thaw_time=at(day, 8),
        start_time=at(day, 9),
        end_time=at(day, 10),
        volume_ml=Decimal("100.0"),
        whole_volume_given=True,
    )


def correct(record, user, **values):
    for name, value in values.items():
        setattr(record, name, value)
    return audited_save(record, user=user, reason="Corrected from source", validate=False)


def system_queries(check):
    return Query.objects.filter(edit_check=check)


def assert_raised_then_closed(check, record, correct_it):
    query = system_queries(check).get()
    assert (query.state, query.raised_by, query.record_id) == (QueryState.OPEN, None, record.pk)
    correct_it()
    query.refresh_from_db()
    assert query.state == QueryState.CLOSED
    closing = query.history.order_by("-history_id").first()
    assert closing.history_user is None and "no longer met" in closing.history_change_reason


def test_every_check_has_a_test():
    tested = {"weight_change_10pct", "pasi_improved_90pct", "systolic_bp_extreme", "fever_on_dosing_day"}
    assert {check.name for check in CHECKS} == tested | {"related_ae_late_onset"}


def test_weight_change_over_10_percent(participant, coordinator):
    vitals(participant, coordinator, "W2", date(2024, 1, 24), weight_kg=Decimal("69.0"))  # +8.7 % of 63.5
    assert not system_queries("weight_change_10pct").exists()
    record = vitals(participant, coordinator, "W4", date(2024, 2, 7), weight_kg=Decimal("77.0"))  # +11.6 % of 69
    assert_raised_then_closed(
        "weight_change_10pct", record, lambda: correct(record, coordinator, weight_kg=Decimal("70.0"))
    )


def test_pasi_improved_over_90_percent(participant, coordinator):
    pasi_assessment(participant, "W0", "12.0", coordinator)
    w4 = pasi_assessment(participant, "W4", "1.1", coordinator)  # 90.8 % better
    assert_raised_then_closed("pasi_improved_90pct", w4, lambda: correct(w4, coordinator, pasi_total=Decimal("1.2")))


@pytest.mark.parametrize(("extreme", "fine"), [(180, 179), (80, 81)])
def test_systolic_bp_extremes(participant, coordinator, extreme, fine):
    record = vitals(participant, coordinator, "W2", date(2024, 1, 24), systolic_bp=extreme, diastolic_bp=60)
    assert_raised_then_closed("systolic_bp_extreme", record, lambda: correct(record, coordinator, systolic_bp=fine))


def test_fever_on_a_dosing_day_only(participant, coordinator):
    vitals(participant, coordinator, "W12", date(2024, 4, 3), temperature_c=Decimal("39.0"))  # no infusion
    assert not system_queries("fever_on_dosing_day").exists()
    infuse(participant, coordinator)
    record = vitals(participant, coordinator, "W0", W0, timepoint="post_infusion", temperature_c=Decimal("38.5"))
    assert_raised_then_closed(
        "fever_on_dosing_day", record, lambda: correct(record, coordinator, temperature_c=Decimal("38.4"))
    )


def test_related_ae_onset_over_30_days_after_the_last_infusion(participant, coordinator, investigator):
    infuse(participant, coordinator)
    fields = dict(
        term="Rash",
        end_date=None,
        ongoing=True,
        grade=1,
        serious=False,
        expected=False,
        action_taken="dose_not_changed",
        outcome="not_recovered",
    )
    adverse_event_record(
        participant=participant, user=coordinator, onset_date=date(2024, 2, 20), relationship="unlikely", **fields
    )
    assert not system_queries("related_ae_late_onset").exists()
    ae = adverse_event_record(
        participant=participant, user=coordinator, onset_date=date(2024, 2, 10), relationship="possible", **fields
    )  # 31 days after 10 Jan
    assert_raised_then_closed(
        "related_ae_late_onset", ae, lambda: correct(ae, coordinator, onset_date=date(2024, 2, 9))
    )


def test_a_check_switched_off_raises_nothing(participant, coordinator, settings):
    settings.DISABLED_EDIT_CHECKS = ["systolic_bp_extreme"]
    audit._hooks.cache_clear()
    vitals(participant, coordinator, "W2", date(2024, 1, 24), systolic_bp=200, diastolic_bp=60)
    assert not system_queries("systolic_bp_extreme").exists()


def test_a_change_of_the_earlier_weight_rechecks_the_next_visit(participant, coordinator):
    w2 = vitals(participant, coordinator, "W2", date(2024, 1, 24), weight_kg=Decimal("69.0"))
    w4 = vitals(participant, coordinator, "W4", date(2024, 2, 7), weight_kg=Decimal("70.0"))  # +1.4 %
    assert not system_queries("weight_change_10pct").exists()
    correct(w2, coordinator, weight_kg=Decimal("62.0"))  # typo at W2: now W4 is +12.9 % of it
    query = system_queries("weight_change_10pct").get()
    assert (query.record_id, query.state, query.raised_by) == (w4.pk, QueryState.OPEN, None)
    w2.refresh_from_db()
    correct(w2, coordinator, weight_kg=Decimal("69.0"))  # corrected back: W4's query closes itself
    query.refresh_from_db()
    assert query.state == QueryState.CLOSED
    assert query.history.order_by("-history_id").first().history_user is None


def test_a_change_of_the_earlier_pasi_rechecks_the_next_visit(participant, coordinator):
    w0 = pasi_assessment(participant, "W0", "1.5", coordinator)
    w4 = pasi_assessment(participant, "W4", "1.1", coordinator)  # 26.7 % better
    assert not system_queries("pasi_improved_90pct").exists()
    correct(w0, coordinator, pasi_total=Decimal("12.0"))  # W0 corrected: W4 is now 90.8 % better
    query = system_queries("pasi_improved_90pct").get()
    assert (query.record_id, query.state) == (w4.pk, QueryState.OPEN)
    w0.refresh_from_db()
    correct(w0, coordinator, pasi_total=Decimal("1.5"))
    query.refresh_from_db()
    assert query.state == QueryState.CLOSED
