"""EPOCH (PROTOCOL §11): the rule at its boundaries (subjects.schedule) and as the exports apply it."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest

from subjects.schedule import FOLLOW_UP_EPOCH, SCREENING_EPOCH, TREATMENT_EPOCH, epoch, treatment_end
from tests.conftest import logged_in
from tests.export_data import build_study_data, local
from trialsite.audit import audited_save

DAY1 = date(2024, 1, 10)
W8 = DAY1 + timedelta(weeks=8)


@pytest.mark.parametrize(
    "on, expected",
    [
        (DAY1 - timedelta(days=1), SCREENING_EPOCH),  # the day before Day 1
        (DAY1, TREATMENT_EPOCH),  # Day 1
        (W8, TREATMENT_EPOCH),  # the day of the W8 infusion, inclusive
        (W8 + timedelta(days=1), FOLLOW_UP_EPOCH),  # the day after it
        (None, None),
    ],
)
def test_epoch_at_its_boundaries(on, expected):
    assert epoch(on, day1=DAY1, treatment_end=W8) == expected


def test_screening_starts_at_consent_before_it_there_is_no_epoch():
    consent = DAY1 - timedelta(days=8)
    assert epoch(consent, day1=DAY1, treatment_end=W8, consent=consent) == SCREENING_EPOCH
    assert epoch(consent - timedelta(days=1), day1=DAY1, treatment_end=W8, consent=consent) is None
    assert epoch(consent - timedelta(days=1), day1=None, treatment_end=None, consent=consent) is None


def test_never_dosed_is_screening_whatever_the_date():
    assert epoch(date(2030, 1, 1), day1=None, treatment_end=None) == SCREENING_EPOCH


def test_still_on_treatment_has_no_follow_up_yet():
    assert epoch(DAY1 + timedelta(days=300), day1=DAY1, treatment_end=None) == TREATMENT_EPOCH


def test_end_of_treatment():
    last = DAY1 + timedelta(weeks=4)
    # the W8 infusion ends it, whatever happened after
    assert treatment_end(last_dosing_visit_infusion=W8, last_infusion=W8, dosing_over=True) == W8
    # withdrawn (or completed) without a W8 infusion: the day of the last infusion given
    assert treatment_end(last_dosing_visit_infusion=None, last_infusion=last, dosing_over=True) == last
    # still enrolled: open
    assert treatment_end(last_dosing_visit_infusion=None, last_infusion=last, dosing_over=False) is None
    # never dosed
    assert treatment_end(last_dosing_visit_infusion=None, last_infusion=None, dosing_over=True) is None


def _infusion(participant, visit, start, user):
    from dosing.models import Infusion

    return audited_save(
        Infusion(participant=participant, visit=visit, infusion_number=Infusion.objects.filter(
            participant=participant).count() + 1, weight_kg_used=Decimal("63.5"), dose_per_kg=2_000_000,
            planned_cells=127_000_000, administered_cells=127_000_000, product_lot="LOT-B", viability_percent=95,
            thaw_time=start - timedelta(minutes=30), start_time=start, end_time=start + timedelta(minutes=40),
            volume_ml=Decimal("100.0"), whole_volume_given=True, administered_by=user),
        user=user,
    )  # fmt: skip


def _ae(participant, number, onset, user):
    from safety.models import AdverseEvent

    audited_save(AdverseEvent(participant=participant, ae_number=number, term="Nausea", onset_date=onset,
                              end_date=onset, grade=1, relationship="unlikely", expected=False,
                              action_taken="dose_not_changed", outcome="recovered"), user=user)  # fmt: skip


def _epochs(user) -> dict[tuple[str, str], str]:
    body = b"".join(logged_in(user).get("/api/v1/exports/sdtm/ae.csv").streaming_content).decode()
    return {(row["USUBJID"], row["AESTDTC"]): row["EPOCH"] for row in csv.DictReader(io.StringIO(body))}


def test_the_ae_dataset_takes_the_epoch_of_the_onset(coordinator, data_manager):
    from safety.models import AdverseEvent
    from subjects.models import Participant

    data = build_study_data(coordinator)
    p1, p2 = data["p1"], data["p2"]
    AdverseEvent.objects.all().delete()
    w8 = p1.visits.get(visit_code="W8")
    _infusion(p1, w8, local(2024, 3, 6, 23, 30), coordinator)  # 23:30 site time: the W8 infusion day is 6 March
    for number, onset in enumerate((date(2024, 1, 9), DAY1, date(2024, 3, 6), date(2024, 3, 7)), start=1):
        _ae(p1, number, onset, coordinator)
    _ae(p2, 1, date(2024, 2, 5), coordinator)  # never dosed (a screen failure)
    u1, u2 = "S2018-11-01-001", "S2018-11-01-SCR-002"
    assert _epochs(data_manager) == {
        (u1, "2024-01-09"): "SCREENING", (u1, "2024-01-10"): "TREATMENT", (u1, "2024-03-06"): "TREATMENT",
        (u1, "2024-03-07"): "FOLLOW-UP", (u2, "2024-02-05"): "SCREENING",
    }  # fmt: skip
    # withdrawn before W8: the treatment epoch ends with the last infusion given (W0, 10 January)
    p1.infusions.filter(visit=w8).delete()
    Participant.objects.filter(pk=p1.pk).update(
        status="withdrawn", withdrawal_date=date(2024, 2, 1), withdrawal_reason="Moved away"
    )
    epochs = _epochs(data_manager)
    assert (epochs[(u1, "2024-01-10")], epochs[(u1, "2024-03-06")]) == ("TREATMENT", "FOLLOW-UP")
