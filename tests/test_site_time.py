"""The site's time zone is the study's (Study.time_zone, subjects.sitetime): services, pages, the API,
reminders and notifications all use it, not the server's default zone.

At 2024-06-01 02:00 UTC it is 1 June 10:00 in Shanghai (the default) but 31 May 19:00 in Los Angeles
(UTC-7 in summer): with the study moved to Los Angeles, 1 June is a future date.
"""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from assessments.services import pasi_save
from safety.models import Notification, Reminder
from safety.notifications import render_message
from safety.reminders import sae_clock_sweep
from safety.services import adverse_event_record
from subjects import services
from subjects.sitetime import site_date, site_today
from tests import factories
from tests.conftest import logged_in

NOW = datetime(2024, 6, 1, 2, 0, tzinfo=UTC)
ZONE = "America/Los_Angeles"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_los_angeles(administrator):
    with time_machine.travel(NOW, tick=False):
        services.study_update(user=administrator, reason="Site moved", time_zone=ZONE)
        yield


@pytest.fixture
def participant(coordinator):
    from tests.test_dmc_dashboard import infusion

    enrolled = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
    infusion(enrolled, "W0", 1, 127_000_000, coordinator)  # dosed: in the dashboard's safety population
    return enrolled


def adverse_event(participant, user, **fields):
    base = dict(
        term="Syncope",
        onset_date=date(2024, 5, 31),
        end_date=None,
        ongoing=True,
        grade=2,
        serious=True,
        hospitalization=True,
        relationship="not_related",
        expected=False,
        action_taken="dose_not_changed",
        outcome="recovering",
        awareness_time=NOW - timedelta(hours=1),  # 31 May 18:00 at the site
    )
    return adverse_event_record(participant=participant, user=user, **{**base, **fields})


def test_today_and_dates_are_the_sites(participant, coordinator):
    assert site_today() == date(2024, 5, 31)
    assert site_date(NOW) == date(2024, 5, 31)
    with pytest.raises(ValidationError) as refused:
        adverse_event(participant, coordinator, onset_date=date(2024, 6, 1))
    assert "onset_date" in refused.value.message_dict
    scores = {"erythema": 1, "induration": 1, "desquamation": 1, "area_score": 1}
    regions = {region: scores for region in ("head", "upper_limbs", "trunk", "lower_limbs")}
    w12 = participant.visits.get(visit_code="W12")
    with pytest.raises(ValidationError) as refused:
        pasi_save(visit=w12, user=coordinator, assessment_date=date(2024, 6, 1), regions=regions)
    assert refused.value.message_dict["assessment_date"] == ["The assessment date cannot be in the future."]
    assert pasi_save(visit=w12, user=coordinator, assessment_date=date(2024, 5, 31), regions=regions).pk


def test_pages_and_the_api_show_times_in_the_sites_zone(participant, coordinator, dmc_reviewer):
    adverse_event(participant, coordinator)
    page = logged_in(coordinator).get(f"/participants/{participant.screening_number}/").content.decode()
    assert re.search(r'id="today">2024-05-31<', page)
    assert f"times shown in {ZONE}" in page
    listed = logged_in(coordinator).get("/api/v1/adverse-events/").json()["results"]
    assert listed[0]["awareness_time"] == "2024-05-31T18:00:00-07:00"
    dashboard = logged_in(dmc_reviewer).get("/safety/dashboard/").content.decode()
    assert f"Generated 2024-05-31 19:00 ({ZONE})" in dashboard
    assert "2024-05-31 18:00" in dashboard  # the SAE's awareness


def test_reminders_and_notifications_give_times_in_the_sites_zone(participant, coordinator):
    adverse_event(participant, coordinator)
    assert sae_clock_sweep(NOW) == 1
    reminder = Reminder.objects.get()
    assert reminder.due_date == date(2024, 6, 1)  # due 1 June 18:00 at the site
    assert "report to the sponsor by 2024-06-01 18:00" in reminder.message
    _subject, body = render_message(Notification.objects.get())
    assert "2024-05-31 18:00 PDT" in body and "2024-06-01 18:00 PDT" in body
