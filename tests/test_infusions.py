"""Infusions: weight-based planned dose, tolerance edges, every refusal, Day 1 re-anchoring, browser form."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from dosing.models import Infusion, VitalSigns
from dosing.services import infusion_record, vitals_record
from subjects.models import ParticipantStatus, Study, Visit, VisitDefinition
from tests import factories
from tests.conftest import logged_in
from trialsite.audit import audited_save

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2024, 4, 20, 12, 0, tzinfo=TZ)
W0_DAY = date(2024, 1, 10)

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


@pytest.fixture
def participant(coordinator):
    return factories.enrolled_participant(coordinator, screening_date=date(2024, 1, 3), planned_day1=W0_DAY)


def visit(participant, code: str) -> Visit:
    return Visit.objects.get(participant=participant, visit_code=code)


def weigh(participant, user, code: str, day: date, kg: str = "63.5", hour: int = 8) -> VitalSigns:
    return vitals_record(
        visit=visit(participant, code),
        user=user,
        timepoint="pre_infusion",
        measured_at=at(day, hour),
        weight_kg=Decimal(kg),
    )


def infuse(participant, user, code: str, day: date, cells=127_000_000, **overrides) -> Infusion:
    values = {
        "administered_cells": cells,
        "product_lot": "UC-2024-007",
        "viability_percent": Decimal("92.5"),
        "thaw_time": at(day, 8, 30),
        "start_time": at(day, 9),
        "end_time": at(day, 10),
        "volume_ml": Decimal("100.0"),
        "whole_volume_given": True,
    }
    values.update(overrides)
    return infusion_record(visit=visit(participant, code), user=user, **values)


def refused(field: str, participant, user, code: str, day: date, **kwargs) -> list[str]:
    before = Infusion.objects.count()
    with pytest.raises(ValidationError) as caught:
        infuse(participant, user, code, day, **kwargs)
    assert Infusion.objects.count() == before
    assert field in caught.value.message_dict, caught.value.message_dict
    return caught.value.message_dict[field]


def test_planned_dose_from_pre_infusion_weight(participant, coordinator):
    weigh(participant, coordinator, "W0", W0_DAY)
    infusion = infuse(participant, coordinator, "W0", W0_DAY)
    assert infusion.planned_cells == 127_000_000
    assert infusion.weight_kg_used == Decimal("63.5")
    assert infusion.dose_per_kg == 2_000_000
    assert infusion.infusion_number == 1
    assert infusion.dose_deviation is False
    assert infusion.thaw_to_start_minutes == 30
    assert infusion.administered_by == coordinator
    assert infusion.history.first().history_change_reason == "Initial entry"
    # the pre-infusion vitals are linked to the infusion once it exists
    assert VitalSigns.objects.get().infusion == infusion


def test_pre_infusion_timepoint_wins_over_visit_weight(participant, coordinator):
    vitals_record(
        visit=visit(participant, "W0"),
        user=coordinator,
        timepoint="visit",
        measured_at=at(W0_DAY, 7),
        weight_kg=Decimal("70.0"),
    )
    weigh(participant, coordinator, "W0", W0_DAY, kg="63.5")
    assert infuse(participant, coordinator, "W0", W0_DAY).planned_cells == 127_000_000


@pytest.mark.parametrize(
    ("cells", "deviation"),
    [(114_300_000, False), (139_700_000, False), (127_000_000, False), (114_299_999, True), (139_700_001, True)],
)
def test_tolerance_edges(participant, coordinator, cells, deviation):
    weigh(participant, coordinator, "W0", W0_DAY)
    if deviation:
        message = refused("deviation_reason", participant, coordinator, "W0", W0_DAY, cells=cells)
        assert "114,300,000–139,700,000" in message[0]
        infusion = infuse(participant, coordinator, "W0", W0_DAY, cells=cells, deviation_reason="Vial short")
    else:
        infusion = infuse(participant, coordinator, "W0", W0_DAY, cells=cells)
    assert infusion.dose_deviation is deviation


def test_no_pre_infusion_weight_is_refused_with_clear_error(participant, coordinator):
    message = refused("weight_kg_used", participant, coordinator, "W0", W0_DAY)
    assert "No pre-infusion weight is recorded for visit W0 on 2024-01-10" in message[0]


def test_weight_of_another_day_or_after_the_start_does_not_count(participant, coordinator):
    wrong_day = weigh(participant, coordinator, "W0", date(2024, 1, 9))
    refused("weight_kg_used", participant, coordinator, "W0", W0_DAY)
    vitals_record(
        visit=visit(participant, "W0"),
        user=coordinator,
        timepoint="pre_infusion",
        measured_at=at(W0_DAY, 7),
        weight_kg=Decimal("63.5"),
        vital_signs=wrong_day,
        reason="Date mistyped",
    )
    infuse(participant, coordinator, "W0", W0_DAY)
    weigh(participant, coordinator, "W2", date(2024, 1, 24), hour=11)  # after a 09:00 start
    refused("weight_kg_used", participant, coordinator, "W2", date(2024, 1, 24))


def test_second_infusion_for_a_visit_is_refused(participant, coordinator):
    weigh(participant, coordinator, "W0", W0_DAY)
    infuse(participant, coordinator, "W0", W0_DAY)
    message = refused("visit", participant, coordinator, "W0", W0_DAY)
    assert "already recorded" in message[0]


def test_sixth_infusion_is_refused(participant, coordinator, study):
    extra = audited_save(
        VisitDefinition(
            study=study, code="W10", visitnum=7, week=10, window_before_days=3, window_after_days=3, dosing=True
        ),
        user=coordinator,
    )
    assert extra.pk
    audited_save(
        Visit(
            participant=participant,
            visit_code="W10",
            visitnum=7,
            target_date=date(2024, 3, 20),
            window_start=date(2024, 3, 17),
            window_end=date(2024, 3, 23),
        ),
        user=coordinator,
    )
    for code, day in [
        ("W0", W0_DAY),
        ("W2", date(2024, 1, 24)),
        ("W4", date(2024, 2, 7)),
        ("W6", date(2024, 2, 21)),
        ("W8", date(2024, 3, 6)),
    ]:
        weigh(participant, coordinator, code, day)
        infuse(participant, coordinator, code, day)
    weigh(participant, coordinator, "W10", date(2024, 3, 20))
    message = refused("visit", participant, coordinator, "W10", date(2024, 3, 20))
    assert "at most 5" in message[0]
    assert [i.infusion_number for i in Infusion.objects.all()] == [1, 2, 3, 4, 5]


def test_non_dosing_visit_is_refused(participant, coordinator):
    refused("visit", participant, coordinator, "W12", date(2024, 4, 3))


def test_visit_outside_its_window_needs_a_deviation_reason(participant, coordinator):
    weigh(participant, coordinator, "W0", W0_DAY)
    infuse(participant, coordinator, "W0", W0_DAY)
    late = date(2024, 1, 28)  # W2 window 21-27 Jan
    weigh(participant, coordinator, "W2", late)
    message = refused("deviation_reason", participant, coordinator, "W2", late)
    assert "outside the visit window (2024-01-21 to 2024-01-27)" in message[0]
    infusion = infuse(participant, coordinator, "W2", late, deviation_reason="Patient had a cold")
    w2 = visit(participant, "W2")
    assert (infusion.dose_deviation, w2.actual_date, w2.status) == (False, late, "done_out_of_window")
    assert w2.deviation_reason == "Patient had a cold"


@pytest.mark.parametrize("status", [ParticipantStatus.SCREENING, ParticipantStatus.SCREEN_FAILED])
def test_participant_not_enrolled_is_refused(participant, coordinator, status):
    weigh(participant, coordinator, "W0", W0_DAY)
    participant.status = status
    audited_save(participant, user=coordinator, reason="test state")
    assert "not enrolled" in refused("participant", participant, coordinator, "W0", W0_DAY)[0]


def test_withdrawn_participant_is_refused(participant, coordinator):
    weigh(participant, coordinator, "W0", W0_DAY)
    participant.status = ParticipantStatus.WITHDRAWN
    participant.withdrawal_date = date(2024, 1, 9)
    participant.withdrawal_reason = "Moved away"
    audited_save(participant, user=coordinator, reason="withdrawn")
    assert "withdrawn" in refused("participant", participant, coordinator, "W0", W0_DAY)[0]


def test_participant_on_safety_hold_is_refused(participant, coordinator):
    weigh(participant, coordinator, "W0", W0_DAY)
    participant.on_safety_hold = True
    participant.safety_hold_reason = "Related grade 3 AE"
    audited_save(participant, user=coordinator, reason="Safety hold")
    assert "safety hold" in refused("participant", participant, coordinator, "W0", W0_DAY)[0]


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("end_time", {"end_time": at(W0_DAY, 8, 59)}),
        ("end_time", {"end_time": at(W0_DAY, 9)}),
        ("thaw_time", {"thaw_time": at(W0_DAY, 9, 30)}),
        ("end_time", {"end_time": at(date(2024, 1, 11), 9)}),
        ("administered_cells", {"cells": 0}),
        ("administered_cells", {"cells": -5}),
        ("administered_cells", {"cells": Decimal("127000000.5")}),
        ("administered_cells", {"cells": 127000000.0}),
        ("volume_given_ml", {"whole_volume_given": False}),
        ("volume_given_ml", {"whole_volume_given": False, "volume_given_ml": Decimal("120.0")}),
        ("volume_ml", {"volume_ml": Decimal("0.5")}),
        ("volume_ml", {"volume_ml": Decimal("500.1")}),
        ("viability_percent", {"viability_percent": Decimal("100.1")}),
        ("interruption_reason", {"interrupted": True}),
        ("product_lot", {"product_lot": "  "}),
        ("start_time", {"thaw_time": at(date(2024, 4, 21), 8), "start_time": at(date(2024, 4, 21), 9)}),
    ],
)
def test_bad_infusion_input_is_refused(participant, coordinator, field, overrides):
    weigh(participant, coordinator, "W0", W0_DAY)
    refused(field, participant, coordinator, "W0", W0_DAY, **overrides)
    assert Study.current().pk  # nothing else changed
    assert visit(participant, "W0").actual_date is None


def test_start_must_be_on_the_recorded_visit_date(participant, coordinator):
    weigh(participant, coordinator, "W0", W0_DAY)
    infuse(participant, coordinator, "W0", W0_DAY)
    w2_day = date(2024, 1, 24)
    w2 = visit(participant, "W2")
    from subjects.services import visit_record

    visit_record(visit=w2, user=coordinator, actual_date=w2_day)
    weigh(participant, coordinator, "W2", w2_day)
    message = refused(
        "start_time",
        participant,
        coordinator,
        "W2",
        date(2024, 1, 25),
    )
    assert "visit date (2024-01-24)" in message[0]


def test_w0_infusion_sets_day1_and_reanchors_schedule(participant, coordinator):
    day1 = date(2024, 1, 12)  # two days after the planned Day 1
    weigh(participant, coordinator, "W0", day1)
    infuse(participant, coordinator, "W0", day1)
    participant.refresh_from_db()
    assert participant.day1_date == day1
    w0, w2, w12 = visit(participant, "W0"), visit(participant, "W2"), visit(participant, "W12")
    assert w0.actual_date == day1
    assert (w2.target_date, w2.window_start, w2.window_end) == (date(2024, 1, 26), date(2024, 1, 23), date(2024, 1, 29))
    assert w12.target_date == date(2024, 4, 5)  # Day 1 + 84


def test_later_infusion_records_the_visit_date(participant, coordinator):
    weigh(participant, coordinator, "W0", W0_DAY)
    infuse(participant, coordinator, "W0", W0_DAY)
    weigh(participant, coordinator, "W2", date(2024, 1, 25))
    infusion = infuse(participant, coordinator, "W2", date(2024, 1, 25))
    assert infusion.infusion_number == 2
    assert visit(participant, "W2").actual_date == date(2024, 1, 25)
    assert visit(participant, "W2").status == "done"


def test_correction_needs_a_reason_and_is_audited(participant, coordinator):
    weigh(participant, coordinator, "W0", W0_DAY)
    infuse(participant, coordinator, "W0", W0_DAY)
    corrected = infuse(
        participant, coordinator, "W0", W0_DAY, cells=126_000_000, product_lot="UC-2024-008", reason="Lot misread"
    )
    assert (corrected.administered_cells, corrected.product_lot, corrected.infusion_number) == (
        126_000_000,
        "UC-2024-008",
        1,
    )
    assert corrected.history.first().history_change_reason == "Lot misread"
    assert Infusion.objects.count() == 1


# --- Browser pages ----------------------------------------------------------------------------------


def form_data(day: date, **overrides) -> dict:
    data = {
        "product_lot": "UC-2024-007",
        "viability_percent": "92.5",
        "administered_cells": "127.0",
        "thaw_time": f"{day:%Y-%m-%d}T08:30",
        "start_time": f"{day:%Y-%m-%d}T09:00",
        "end_time": f"{day:%Y-%m-%d}T10:00",
        "volume_ml": "100.0",
        "whole_volume_given": "yes",
        "interrupted": "no",
    }
    data.update(overrides)
    return data


def test_infusion_page_shows_planned_dose_and_records(participant, coordinator):
    url = f"/dosing/{participant.screening_number}/W0/infusion/"
    client = logged_in(coordinator)
    assert "No pre-infusion weight" in client.get(url).content.decode()
    weigh(participant, coordinator, "W0", W0_DAY)
    page = client.get(url).content.decode()
    assert 'Planned dose: <span id="planned-cells">127,000,000</span> cells' in page
    assert "114,300,000 to 139,700,000" in page
    response = client.post(url, form_data(W0_DAY))
    assert response.status_code == 302
    assert Infusion.objects.get().planned_cells == 127_000_000
    # the route is stored as its CDISC term (for EX) and shown in the reader's language
    assert Infusion.objects.get().route == "INTRAVENOUS"
    assert "<dt>Route</dt><dd>Intravenous</dd>" in client.get(url).content.decode()
    assert "<dt>给药途径</dt><dd>静脉</dd>" in client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"administered_cells": "127.05"}, "no more than 1 decimal place"),
        ({"administered_cells": "100.0"}, "a deviation reason is required"),
        ({"end_time": f"{W0_DAY:%Y-%m-%d}T08:00"}, "must be after its start"),
    ],
)
def test_infusion_form_errors_save_nothing(participant, coordinator, overrides, message):
    weigh(participant, coordinator, "W0", W0_DAY)
    response = logged_in(coordinator).post(
        f"/dosing/{participant.screening_number}/W0/infusion/", form_data(W0_DAY, **overrides)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Infusion.objects.exists()


def test_infusion_page_shows_blockers(participant, coordinator):
    participant.on_safety_hold = True
    audited_save(participant, user=coordinator, reason="Safety hold")
    page = logged_in(coordinator).get(f"/dosing/{participant.screening_number}/W0/infusion/").content.decode()
    assert "No infusion can be recorded" in page and "safety hold" in page


@pytest.mark.parametrize(
    ("persona", "get_status", "post_status"),
    [
        ("coordinator", 200, 302),
        ("investigator", 200, 302),
        ("data_manager", 200, 403),
        ("api_client_user", 200, 403),
        ("administrator", 200, 403),
        ("dmc_reviewer", 403, 403),
        ("outsider", 403, 403),
    ],
)
def test_infusion_page_roles(participant, coordinator, personas, persona, get_status, post_status):
    weigh(participant, coordinator, "W0", W0_DAY)
    url = f"/dosing/{participant.screening_number}/W0/infusion/"
    client = logged_in(personas[persona])
    assert client.get(url).status_code == get_status
    assert client.post(url, form_data(W0_DAY)).status_code == post_status
    assert Infusion.objects.exists() is (post_status == 302)


def test_infusion_page_anonymous_redirects(participant, client):
    response = client.get(f"/dosing/{participant.screening_number}/W0/infusion/")
    assert response.status_code == 302 and "/accounts/login/" in response.url
