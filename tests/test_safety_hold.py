"""Safety hold (PROTOCOL §6): placed automatically, blocks infusions, released by investigators only."""

import itertools
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dosing.rules import infusion_blockers
from safety import rules
from safety.models import SafetyHold
from safety.services import (
    adverse_event_assess,
    adverse_event_record,
    adverse_event_update,
    dmc_alert,
    safety_hold_release,
)
from tests import factories
from tests.subjects_helpers import SIGNED

TZ = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def ae_fields(**overrides) -> dict:
    fields = dict(
        term="Fever",
        onset_date=date(2024, 1, 11),
        end_date=None,
        ongoing=True,
        grade=3,
        serious=False,
        relationship="probable",
        expected=False,
        action_taken="drug_interrupted",
        outcome="recovering",
    )
    fields.update(overrides)
    return fields


SERIOUS = dict(serious=True, hospitalization=True, awareness_time=datetime(2024, 1, 11, 10, 0, tzinfo=TZ))


@pytest.fixture
def enrolled(coordinator, study):
    return factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))


def test_grade_3_related_ae_places_a_hold(coordinator, enrolled):
    ae = adverse_event_record(participant=enrolled, user=coordinator, **ae_fields())
    enrolled.refresh_from_db()
    assert enrolled.on_safety_hold is True
    assert "AE 1 (Fever)" in enrolled.safety_hold_reason and enrolled.safety_hold_since is not None
    hold = SafetyHold.objects.get()
    assert (hold.participant, hold.adverse_event, hold.released_at) == (enrolled, ae, None)
    assert enrolled.history.first().history_change_reason.startswith("Safety hold placed")


@pytest.mark.parametrize(
    "overrides",
    [
        {"relationship": "not_related"},
        {"relationship": "unlikely"},
        {"grade": 2},
        {"grade": 2, "relationship": "definite"},
    ],
)
def test_no_hold_for_unrelated_or_low_grade(coordinator, enrolled, overrides):
    adverse_event_record(participant=enrolled, user=coordinator, **ae_fields(**overrides))
    enrolled.refresh_from_db()
    assert enrolled.on_safety_hold is False
    assert SafetyHold.objects.count() == 0


def test_related_sae_of_grade_2_places_a_hold(coordinator, enrolled):
    adverse_event_record(participant=enrolled, user=coordinator, **ae_fields(grade=2, **SERIOUS))
    enrolled.refresh_from_db()
    assert enrolled.on_safety_hold is True


def test_unrelated_sae_places_no_hold(coordinator, enrolled):
    adverse_event_record(participant=enrolled, user=coordinator, **ae_fields(relationship="unlikely", **SERIOUS))
    enrolled.refresh_from_db()
    assert enrolled.on_safety_hold is False


# Every grade x seriousness x relationship, at the default threshold (3) and another (4): the rule as
# the services apply it and the same rule as the query condition that counts and lists the safety
# signals agree with PROTOCOL §6 in every cell. Written out by hand: the (grade, serious) of a related
# AE that puts its participant on hold; an unrelated AE never does.
RELATED_HOLDS = {
    3: {(3, False), (4, False), (5, False), (1, True), (2, True), (3, True), (4, True), (5, True)},
    4: {(4, False), (5, False), (1, True), (2, True), (3, True), (4, True), (5, True)},
}


@pytest.mark.parametrize("threshold", [3, 4])
def test_the_hold_rule_and_its_query_condition_agree_on_every_cell(db, threshold):
    condition = rules.safety_hold_condition(threshold)
    day1 = date(2024, 1, 10)
    for grade, serious, relationship, onset in itertools.product(
        (1, 2, 3, 4, 5), (False, True), ("not_related", "unlikely", "possible", "probable", "definite"),
        (day1 - timedelta(days=1), day1),  # before Day 1, or on it (treatment-emergent)
    ):  # fmt: skip
        related = relationship in ("possible", "probable", "definite")
        emergent = onset >= day1
        expected = emergent and related and (grade, serious) in RELATED_HOLDS[threshold]
        facts = {"grade": grade, "serious": serious, "relationship": relationship}
        assert rules.triggers_safety_hold(**facts, hold_min_grade=threshold, treatment_emergent=emergent) is expected
        row = {**facts, "onset_date": onset, "participant__day1_date": day1}
        assert condition.check(row) is expected, row


def test_reassessment_to_related_places_a_hold(coordinator, investigator, enrolled):
    ae = adverse_event_record(participant=enrolled, user=coordinator, **ae_fields(relationship="unlikely"))
    enrolled.refresh_from_db()
    assert enrolled.on_safety_hold is False
    adverse_event_assess(
        **SIGNED, adverse_event=ae, investigator=investigator, relationship="possible", expected=False, reason="r"
    )
    enrolled.refresh_from_db()
    assert enrolled.on_safety_hold is True


def test_grade_raised_on_edit_places_a_hold(coordinator, enrolled):
    ae = adverse_event_record(participant=enrolled, user=coordinator, **ae_fields(grade=2))
    adverse_event_update(adverse_event=ae, user=coordinator, reason="Worsened per source", grade=3)
    enrolled.refresh_from_db()
    assert enrolled.on_safety_hold is True


def test_hold_blocks_infusion(coordinator, enrolled):
    adverse_event_record(participant=enrolled, user=coordinator, **ae_fields())
    enrolled.refresh_from_db()
    visit = enrolled.visits.get(visit_code="W2")
    assert any("safety hold" in message for message in infusion_blockers(enrolled, visit))
    from dosing.models import Infusion
    from dosing.services import infusion_record

    start = datetime(2024, 1, 24, 9, 30, tzinfo=TZ)
    with pytest.raises(ValidationError) as raised:
        infusion_record(
            visit=visit,
            user=coordinator,
            administered_cells=127_000_000,
            product_lot="LOT-1",
            viability_percent=Decimal("95.0"),
            thaw_time=start - timedelta(minutes=20),
            start_time=start,
            end_time=start + timedelta(minutes=30),
            volume_ml=Decimal("100.0"),
            whole_volume_given=True,
        )
    assert any("safety hold" in message for message in raised.value.message_dict["participant"])
    assert Infusion.objects.count() == 0


@pytest.mark.parametrize("persona", ["coordinator", "data_manager", "dmc_reviewer"])
def test_only_investigator_releases(personas, coordinator, enrolled, persona):
    adverse_event_record(participant=enrolled, user=coordinator, **ae_fields())
    hold = SafetyHold.objects.get()
    with pytest.raises(PermissionDenied):
        safety_hold_release(**SIGNED, hold=hold, investigator=personas[persona], reason="DMC reviewed")
    hold.refresh_from_db()
    assert hold.released_at is None


def test_release_needs_reason_and_clears_participant(coordinator, investigator, enrolled):
    adverse_event_record(participant=enrolled, user=coordinator, **ae_fields())
    hold = SafetyHold.objects.get()
    with pytest.raises(ValidationError):
        safety_hold_release(**SIGNED, hold=hold, investigator=investigator, reason="  ")
    released = safety_hold_release(
        **SIGNED, hold=hold, investigator=investigator, reason="DMC meeting 2024-02: continue"
    )
    assert released.released_by == investigator and released.release_reason == "DMC meeting 2024-02: continue"
    assert released.released_at is not None
    enrolled.refresh_from_db()
    assert (enrolled.on_safety_hold, enrolled.safety_hold_reason, enrolled.safety_hold_since) == (False, "", None)
    assert "DMC meeting" in enrolled.history.first().history_change_reason
    with pytest.raises(ValidationError):
        safety_hold_release(**SIGNED, hold=hold, investigator=investigator, reason="again")


def test_participant_stays_held_while_another_hold_is_open(coordinator, investigator, enrolled):
    adverse_event_record(participant=enrolled, user=coordinator, **ae_fields())
    adverse_event_record(participant=enrolled, user=coordinator, **ae_fields(term="Rash", grade=4))
    first, second = SafetyHold.objects.order_by("id")
    safety_hold_release(**SIGNED, hold=first, investigator=investigator, reason="reviewed")
    enrolled.refresh_from_db()
    assert enrolled.on_safety_hold is True and "Rash" in enrolled.safety_hold_reason
    safety_hold_release(**SIGNED, hold=second, investigator=investigator, reason="reviewed")
    enrolled.refresh_from_db()
    assert enrolled.on_safety_hold is False


def test_dmc_alert_at_threshold(coordinator, study):
    first = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
    second = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10), initials="CD")
    assert dmc_alert(study).active is False
    adverse_event_record(participant=first, user=coordinator, **ae_fields())
    adverse_event_record(participant=first, user=coordinator, **ae_fields(term="Rash"))
    alert = dmc_alert(study)
    assert (alert.participants, alert.threshold, alert.active) == (1, 2, False)
    adverse_event_record(participant=second, user=coordinator, **ae_fields(relationship="unlikely"))
    assert dmc_alert(study).active is False
    adverse_event_record(participant=second, user=coordinator, **ae_fields(grade=2, **SERIOUS))
    alert = dmc_alert(study)
    assert (alert.participants, alert.active, bool(alert)) == (2, True, True)


def test_hold_is_in_the_same_transaction_as_the_ae(coordinator, enrolled, monkeypatch):
    """A failure after the hold is placed rolls back the hold, the participant's flag and the AE."""
    from safety import services

    place_hold = services._place_hold
    seen_inside = {}

    def place_then_fail(adverse_event, *, user):
        hold = place_hold(adverse_event, user=user)
        seen_inside["hold"] = SafetyHold.objects.filter(pk=hold.pk, adverse_event=adverse_event).exists()
        seen_inside["flag"] = type(enrolled).objects.get(pk=enrolled.pk).on_safety_hold
        seen_inside["ae"] = enrolled.adverse_events.filter(pk=adverse_event.pk).exists()
        raise RuntimeError("failure after the hold is placed")

    monkeypatch.setattr(services, "_place_hold", place_then_fail)
    with pytest.raises(RuntimeError, match="after the hold"):
        adverse_event_record(participant=enrolled, user=coordinator, **ae_fields(**SERIOUS))
    assert seen_inside == {"hold": True, "flag": True, "ae": True}
    enrolled.refresh_from_db()
    assert enrolled.on_safety_hold is False and SafetyHold.objects.count() == 0
    assert enrolled.adverse_events.count() == 0
