"""Visit schedule: states as the date moves, actual dates, deviations, not done, re-anchoring on Day 1."""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from subjects import services
from subjects.models import Visit
from tests.conftest import PASSWORD, logged_in
from tests.subjects_helpers import enrolled

SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(year, month, day, hour=10):
    return time_machine.travel(datetime(year, month, day, hour, 0, tzinfo=SHANGHAI), tick=False)


@pytest.fixture
def participant(coordinator, investigator):
    with at(2024, 1, 8):
        return enrolled(coordinator, investigator, PASSWORD)


def visit(p, code) -> Visit:
    return Visit.objects.get(participant=p, visit_code=code)


def page_states(user, p) -> dict[str, str]:
    html = logged_in(user).get(f"/participants/{p.screening_number}/").content.decode()
    return dict(re.findall(r'<tr id="visit-(\w+)".*?data-state="(\w+)"', html, flags=re.S))


def test_states_on_the_participant_page_move_with_the_date(participant, coordinator):
    with at(2024, 1, 8):
        assert page_states(coordinator, participant) == {
            "SCR": "done",
            "W0": "open",
            "W2": "scheduled",
            "W4": "scheduled",
            "W6": "scheduled",
            "W8": "scheduled",
            "W12": "scheduled",
        }
    with at(2024, 1, 21):  # W2 window 21–27 Jan opens (projected from planned Day 1 10 Jan)
        states = page_states(coordinator, participant)
        assert (states["W0"], states["W2"]) == ("open", "open")
        html = logged_in(coordinator).get(f"/participants/{participant.screening_number}/").content.decode()
        assert "2024-01-21" in html and 'class="tl-today"' in html
    with at(2024, 1, 28):
        assert page_states(coordinator, participant)["W2"] == "missed"
    with at(2024, 2, 1):
        assert page_states(coordinator, participant)["W0"] == "missed"
    # Midnight in Shanghai is still the previous day in UTC: the site date counts.
    with at(2024, 1, 28, hour=0):
        assert page_states(coordinator, participant)["W2"] == "missed"
    with at(2024, 1, 27, hour=23):
        assert page_states(coordinator, participant)["W2"] == "open"


def test_recording_w0_reanchors_every_visit_on_day1(participant, coordinator):
    with at(2024, 1, 12):
        services.visit_record(visit=visit(participant, "W0"), user=coordinator, actual_date=date(2024, 1, 12))
    participant.refresh_from_db()
    assert participant.day1_date == date(2024, 1, 12)
    plan = {v.visit_code: (v.target_date, v.window_start, v.window_end) for v in participant.visits.all()}
    assert plan["W2"] == (date(2024, 1, 26), date(2024, 1, 23), date(2024, 1, 29))
    assert plan["W12"] == (date(2024, 4, 5), date(2024, 4, 2), date(2024, 4, 8))
    assert plan["SCR"] == (date(2024, 1, 3), date(2023, 12, 13), date(2024, 1, 9))  # planned Day 1 unchanged
    # W4 stays anchored on Day 1 even when W2 happened late (never chained on actual dates).
    with at(2024, 1, 31):
        services.visit_record(
            visit=visit(participant, "W2"),
            user=coordinator,
            actual_date=date(2024, 1, 31),
            deviation_reason="Participant ill",
        )
    assert visit(participant, "W2").status == "done_out_of_window"
    assert visit(participant, "W4").target_date == date(2024, 2, 9)


def test_reanchor_service_for_dosing(participant, coordinator):
    with at(2024, 1, 15):
        services.visits_reanchor(participant=participant, day1=date(2024, 1, 15), user=coordinator, reason="Infusion 1")
        assert visit(participant, "W0").actual_date == date(2024, 1, 15)
        assert visit(participant, "W2").target_date == date(2024, 1, 29)
        assert visit(participant, "W2").history.order_by("-history_id").first().history_change_reason == "Infusion 1"
        with pytest.raises(ValidationError) as exc:
            services.visits_reanchor(participant=participant, day1=date(2024, 1, 16), user=coordinator, reason="x")
        assert "day1_date" in exc.value.message_dict
    html = logged_in(coordinator).get(f"/participants/{participant.screening_number}/").content.decode()
    assert "2024-01-15" in html


@pytest.mark.parametrize(
    "kwargs, field, message",
    [
        ({"actual_date": date(2024, 1, 25)}, "actual_date", "Actual date cannot be in the future."),
        ({"actual_date": date(2024, 1, 3)}, "actual_date", "Actual date must be after the screening date."),
        (
            {"actual_date": date(2024, 1, 20)},
            "deviation_reason",
            "The date is outside the window 21 Jan – 27 Jan 2024; give a deviation reason.",
        ),
        ({}, "actual_date", "Enter the actual date, or mark the visit not done with a reason."),
        (
            {"actual_date": date(2024, 1, 22), "not_done_reason": "x"},
            "not_done_reason",
            "A visit with an actual date cannot also be not done.",
        ),
    ],
)
def test_actual_date_refusals(participant, coordinator, kwargs, field, message):
    with at(2024, 1, 24):
        with pytest.raises(ValidationError) as exc:
            services.visit_record(visit=visit(participant, "W2"), user=coordinator, **kwargs)
    assert exc.value.message_dict[field] == [message]
    w2 = visit(participant, "W2")
    assert (w2.actual_date, w2.not_done_reason, w2.history.count()) == (None, "", 1)


def test_in_window_done_and_change_needs_reason(participant, coordinator):
    with at(2024, 1, 24):
        services.visit_record(visit=visit(participant, "W2"), user=coordinator, actual_date=date(2024, 1, 22))
        assert visit(participant, "W2").status == "done"
        with pytest.raises(ValidationError) as exc:
            services.visit_record(visit=visit(participant, "W2"), user=coordinator, actual_date=date(2024, 1, 23))
        assert "reason_for_change" in exc.value.message_dict
        services.visit_record(
            visit=visit(participant, "W2"), user=coordinator, actual_date=date(2024, 1, 23), reason="Source checked"
        )
    w2 = visit(participant, "W2")
    assert w2.actual_date == date(2024, 1, 23)
    assert w2.history.order_by("-history_id").first().history_change_reason == "Source checked"


def test_not_done_with_reason(participant, coordinator):
    with at(2024, 1, 24):
        services.visit_record(visit=visit(participant, "W2"), user=coordinator, not_done_reason="Travel ban")
    assert visit(participant, "W2").status == "not_done"
    with at(2024, 1, 24):
        assert services.next_action(participant) == "Record W0 visit (window 4–31 Jan)"


def test_w12_done_completes_the_participant(participant, coordinator):
    with at(2024, 4, 3):
        services.visit_record(visit=visit(participant, "W12"), user=coordinator, actual_date=date(2024, 4, 3))
    participant.refresh_from_db()
    assert participant.status == "completed"


def test_refresh_statuses_bulk_updates_changed_only(participant, django_assert_num_queries):
    visits = list(Visit.objects.filter(participant=participant))
    with django_assert_num_queries(1):
        assert services.visit_refresh_statuses(visits, date(2024, 1, 28)) == 1  # W2 missed; W0 stays open
    assert services.visit_refresh_statuses(visits, date(2024, 1, 28)) == 0
    assert visit(participant, "W2").status == "missed"
    assert visit(participant, "W0").status == "open"


def test_refresh_statuses_constant_queries(coordinator, investigator, django_assert_num_queries):
    with at(2024, 1, 8):
        for _ in range(3):
            enrolled(coordinator, investigator, PASSWORD)
    with django_assert_num_queries(2):  # one select, one bulk update
        changed = services.visit_refresh_statuses(Visit.objects.all(), date(2024, 4, 30))
    assert changed == 18  # W0..W12 (6 visits) of three participants: all missed


# --- Browser ---------------------------------------------------------------------------------


def test_visit_form_records_and_shows_errors(participant, coordinator):
    client = logged_in(coordinator)
    url = f"/participants/{participant.screening_number}/visits/W2/"
    version = visit(participant, "W2").version
    with at(2024, 1, 24):
        html = client.post(url, {"actual_date": "2024-01-30", "version": version}).content.decode()
        assert '<ul class="errorlist" id="actual_date_errors"><li>Actual date cannot be in the future.</li>' in html
        html = client.post(url, {"actual_date": "2024-01-19", "version": version}).content.decode()
        assert 'id="deviation_reason_errors"' in html
        assert visit(participant, "W2").actual_date is None
        response = client.post(url, {"actual_date": "2024-01-19", "deviation_reason": "Holiday", "version": version})
        assert response.status_code == 302
        assert visit(participant, "W2").status == "done_out_of_window"
        html = client.get(url).content.decode()
        assert 'name="reason_for_change"' in html


def test_visit_page_roles(participant, personas):
    url = f"/participants/{participant.screening_number}/visits/W2/"
    for name in ("data_manager", "dmc_reviewer", "api_client_user", "administrator", "outsider"):
        assert logged_in(personas[name]).post(url, {"actual_date": "2024-01-22"}).status_code == 403, name
    assert visit(participant, "W2").actual_date is None
    assert logged_in(personas["investigator"]).get(url).status_code == 200
