"""SAE reporting clock: due 24 h after the investigator's awareness, exactly 24 h still on time."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from safety import rules
from safety.services import adverse_event_record, sae_mark_reported
from tests import factories
from tests.conftest import logged_in

TZ = ZoneInfo("Asia/Shanghai")
AWARE = datetime(2024, 2, 1, 9, 0, tzinfo=TZ)


def at(hours: int, minutes: int = 0) -> datetime:
    return AWARE + timedelta(hours=hours, minutes=minutes)


@pytest.mark.parametrize(
    "now,expected",
    [
        (at(0), "due"),
        (at(23, 59), "due"),
        (at(24), "due"),
        (at(24, 1), "overdue"),
        (at(72), "overdue"),
    ],
)
def test_unreported_sae_is_due_until_exactly_24_hours(now, expected):
    assert rules.sae_clock_state(AWARE, None, now) == expected


@pytest.mark.parametrize(
    "reported,expected",
    [
        (at(1), "reported_on_time"),
        (at(23, 59), "reported_on_time"),
        (at(24), "reported_on_time"),
        (at(24, 1), "reported_late"),
    ],
)
def test_reported_sae_on_time_or_late(reported, expected):
    assert rules.sae_clock_state(AWARE, reported, at(100)) == expected


def test_clock_uses_configured_hours_and_needs_awareness():
    assert rules.sae_due_at(AWARE) == datetime(2024, 2, 2, 9, 0, tzinfo=TZ)
    assert rules.sae_clock_state(AWARE, None, at(30), hours=48) == "due"
    assert rules.sae_clock_state(None, None, at(30)) is None
    assert rules.sae_due_at(None) is None


SAE = dict(
    term="Pneumonia",
    onset_date=date(2024, 1, 30),
    end_date=None,
    ongoing=True,
    grade=3,
    serious=True,
    hospitalization=True,
    relationship="unlikely",
    expected=False,
    action_taken="drug_interrupted",
    outcome="recovering",
    awareness_time=AWARE,
)


@pytest.fixture
def sae(coordinator, study):
    participant = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
    with time_machine.travel(at(1), tick=False):
        return adverse_event_record(participant=participant, user=coordinator, **SAE)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "now,label",
    [(at(23, 59), "Due"), (at(24), "Due"), (at(24, 1), "Overdue")],
)
def test_ae_page_shows_clock_with_frozen_time(coordinator, sae, now, label):
    with time_machine.travel(now, tick=False):
        response = logged_in(coordinator).get(f"/safety/adverse-events/{sae.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-clock="{label}"' in html
    assert "2024-02-02 09:00" in html  # due time in site time zone


@pytest.mark.django_db
def test_mark_reported_on_time_and_late(coordinator, sae):
    with time_machine.travel(at(30), tick=False):
        reported = sae_mark_reported(adverse_event=sae, user=coordinator, reported_at=at(24))
        assert rules.sae_clock_state(reported.awareness_time, reported.reported_to_sponsor_at, timezone.now()) == (
            "reported_on_time"
        )
        with pytest.raises(ValidationError):  # a correction needs a reason
            sae_mark_reported(adverse_event=sae, user=coordinator, reported_at=at(24, 1))
        late = sae_mark_reported(adverse_event=sae, user=coordinator, reported_at=at(24, 1), reason="Fax log")
        assert rules.sae_clock_state(late.awareness_time, late.reported_to_sponsor_at, timezone.now()) == (
            "reported_late"
        )
        with pytest.raises(ValidationError):  # before awareness
            sae_mark_reported(adverse_event=sae, user=coordinator, reported_at=at(-1), reason="x")


@pytest.mark.django_db
def test_mark_reported_through_the_browser(coordinator, dmc_reviewer, sae):
    with time_machine.travel(at(25), tick=False):
        denied = logged_in(dmc_reviewer).post(
            f"/safety/adverse-events/{sae.pk}/reported/", {"reported_to_sponsor_at": "2024-02-02 08:30"}
        )
        assert denied.status_code == 403
        response = logged_in(coordinator).post(
            f"/safety/adverse-events/{sae.pk}/reported/",
            {"reported_to_sponsor_at": "2024-02-02 08:30", "version": sae.version},
        )
        assert response.status_code == 302
        sae.refresh_from_db()
        assert sae.reported_to_sponsor_at == datetime(2024, 2, 2, 8, 30, tzinfo=TZ)
        page = logged_in(coordinator).get(f"/safety/adverse-events/{sae.pk}/").content.decode()
        assert 'data-clock="Reported on time"' in page


@pytest.mark.django_db
def test_no_clock_for_a_non_serious_ae(coordinator, study):
    """A non-serious AE with an awareness time entered has no SAE deadline, in the API and on its page."""
    from rest_framework.test import APIClient

    participant = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
    with time_machine.travel(at(1), tick=False):
        minor = adverse_event_record(participant=participant, user=coordinator, **{**SAE, "serious": False,
                                     "hospitalization": False, "grade": 1})  # fmt: skip
    api = APIClient()
    api.force_authenticate(coordinator)
    with time_machine.travel(at(72), tick=False):
        data = api.get(f"/api/v1/adverse-events/{minor.pk}/").json()
        page = logged_in(coordinator).get(f"/safety/adverse-events/{minor.pk}/").content.decode()
        listing = logged_in(coordinator).get("/safety/adverse-events/").content.decode()
    assert (data["sae_due_at"], data["sae_clock_state"]) == (None, None)
    assert "Overdue" not in page and "Overdue" not in listing


@pytest.mark.django_db
def test_no_clock_for_a_non_serious_ae_in_the_dmc_listing_and_its_csv(coordinator, dmc_reviewer, study):
    """The DMC's AE listing has an SAE clock column: empty for a non-serious AE, on the page and in the CSV."""
    from tests.test_dmc_dashboard import infusion

    participant = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
    infusion(participant, "W0", 1, 127_000_000, coordinator)  # dosed: in the safety population
    with time_machine.travel(at(1), tick=False):
        adverse_event_record(participant=participant, user=coordinator, **{**SAE, "serious": False,
                             "hospitalization": False, "grade": 1})  # fmt: skip
    client = logged_in(dmc_reviewer)
    with time_machine.travel(at(72), tick=False):
        page = client.get("/safety/dashboard/listing/adverse-events/").content.decode()
        csv_text = client.get("/safety/dashboard/listing/adverse-events/", {"format": "csv"}).content.decode()
    assert 'id="listing-count">1<' in page
    for text in (page, csv_text):
        assert "Overdue" not in text and "Due" not in text


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changes,field",
    [
        ({"awareness_time": datetime(1, 1, 1, tzinfo=ZoneInfo("UTC"))}, "awareness_time"),
        ({"awareness_time": datetime(2024, 1, 29, 23, 59, tzinfo=TZ)}, "awareness_time"),  # the day before onset
        ({"reported_to_sponsor_at": AWARE - timedelta(minutes=1)}, "reported_to_sponsor_at"),
    ],
)
def test_awareness_not_before_onset_and_report_not_before_awareness(coordinator, study, changes, field):
    participant = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
    with time_machine.travel(at(1), tick=False), pytest.raises(ValidationError) as refused:
        adverse_event_record(participant=participant, user=coordinator, **{**SAE, **changes})
    assert field in refused.value.message_dict


@pytest.mark.django_db
def test_awareness_on_the_onset_date_is_accepted_and_far_past_is_400_in_the_api(coordinator, study):
    from rest_framework.test import APIClient

    participant = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
    with time_machine.travel(at(1), tick=False):
        on_onset = adverse_event_record(
            participant=participant,
            user=coordinator,
            **{**SAE, "awareness_time": datetime(2024, 1, 30, 0, 0, tzinfo=TZ)},
        )
        assert on_onset.pk
        api = APIClient()
        api.force_authenticate(coordinator)
        body = {**SAE, "participant": participant.screening_number, "onset_date": "2024-01-30",
                "awareness_time": "0001-01-01T00:00:00Z"}  # fmt: skip
        response = api.post("/api/v1/adverse-events/", body, format="json")
    assert response.status_code == 400 and "awareness_time" in response.json()
