"""Protocol deviation log: derived from visits out of window, dose deviations, missed infusions and
prohibited medications (with an investigator notification), plus manual ones; page, API, roles."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from deviations.models import ProtocolDeviation
from medications.services import cm_record
from safety.models import Notification
from safety.notifications import render_message
from subjects.models import Visit
from tests import factories
from tests.conftest import logged_in
from trialsite.audit import audited_save

TZ = ZoneInfo("Asia/Shanghai")
DAY1 = date(2024, 1, 10)
URL = "/api/v1/protocol-deviations/"

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with time_machine.travel(datetime(2024, 4, 20, 12, 0, tzinfo=TZ), tick=False):
        yield


@pytest.fixture
def dosed(coordinator):
    return factories.enrolled_participant(coordinator, planned_day1=DAY1, day1=DAY1)


def methotrexate(participant, user, **overrides):
    values = dict(
        medication="MTX",
        medication_class="methotrexate",
        indication="Psoriasis",
        dose=Decimal("15"),
        dose_unit="mg",
        frequency="QS",
        route="ORAL",
        start_date="2024-02-01",
        end_date="",
        ongoing=True,
    )
    values.update(overrides)
    return cm_record(participant=participant, user=user, **values)


def test_prohibited_medication_makes_a_deviation_and_notifies_once(dosed, coordinator):
    cm = methotrexate(dosed, coordinator)
    deviation = ProtocolDeviation.objects.get(source="prohibited_medication")
    assert (deviation.category, deviation.source_key, deviation.withdrawn) == (
        "prohibited_medication",
        f"cm:{cm.pk}",
        False,
    )
    notification = Notification.objects.get(kind="protocol_deviation")
    subject, body = render_message(notification)
    assert dosed.display_id in subject and "MTX" in body
    cm_record(
        participant=dosed,
        user=coordinator,
        record=cm,
        reason="dose",
        **{
            "medication": "MTX",
            "medication_class": "methotrexate",
            "indication": "Psoriasis",
            "dose": Decimal("20"),
            "dose_unit": "mg",
            "frequency": "QS",
            "route": "ORAL",
            "start_date": "2024-02-01",
            "end_date": "",
            "ongoing": True,
        },
    )
    assert Notification.objects.filter(kind="protocol_deviation").count() == 1
    cm.refresh_from_db()
    cm_record(
        participant=dosed,
        user=coordinator,
        record=cm,
        reason="was topical",
        **{
            "medication": "MTX",
            "medication_class": "methotrexate",
            "indication": "Psoriasis",
            "dose": None,
            "dose_unit": "",
            "frequency": "",
            "route": "TOPICAL",
            "start_date": "2024-02-01",
            "end_date": "",
            "ongoing": True,
        },
    )
    deviation.refresh_from_db()
    assert deviation.withdrawn is True


def test_visit_out_of_window_is_a_deviation(dosed, coordinator):
    w4 = Visit.objects.get(participant=dosed, visit_code="W4")
    w4.actual_date = w4.window_end + (date(2024, 1, 2) - date(2024, 1, 1))
    audited_save(w4, user=coordinator, reason="Visit late")
    deviation = ProtocolDeviation.objects.get(source="visit_window")
    assert deviation.category == "visit_schedule" and "W4" in deviation.description


def test_manual_deviation_page_api_and_roles(dosed, coordinator, dmc_reviewer, data_manager, client):
    new = reverse("deviations:new", args=[dosed.screening_number])
    assert client.get(new).status_code == 302
    assert logged_in(dmc_reviewer).get(new).status_code == 403
    browser = logged_in(coordinator)
    response = browser.post(
        new,
        {
            "category": "informed_consent",
            "deviation_date": "2024-01-03",
            "description": "Consent form version 1.0 signed after 2.0 approval",
        },
    )
    assert response.status_code == 302
    page = browser.get(reverse("subjects:detail", args=[dosed.screening_number])).content.decode()
    assert "Consent form version" in page
    listing = logged_in(data_manager).get(reverse("deviations:list"))
    assert listing.status_code == 200 and "Informed consent" in listing.content.decode()
    api = APIClient()
    api.force_authenticate(coordinator)
    pk = ProtocolDeviation.objects.get(source="manual").pk
    patched = api.patch(
        f"{URL}{pk}/",
        {"description": "Re-consented", "reason_for_change": "clarified"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert patched.status_code == 200, patched.json()
    created = api.post(
        URL,
        {
            "participant": dosed.screening_number,
            "category": "procedure",
            "description": "PASI by an untrained assessor",
        },
        format="json",
    )
    assert created.status_code == 201
    methotrexate(dosed, coordinator)
    derived = ProtocolDeviation.objects.get(source="prohibited_medication")
    refused = api.patch(
        f"{URL}{derived.pk}/", {"description": "x", "reason_for_change": "y"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert refused.status_code == 400
    assert APIClient().get(URL).status_code == 401
    reader = APIClient()
    reader.force_authenticate(dmc_reviewer)
    assert reader.get(URL).status_code == 403


def test_missed_dosing_visits_are_missed_infusions(dosed):
    missed = ProtocolDeviation.objects.filter(source="missed_infusion").order_by("deviation_date")
    # Today 2024-04-20: every dosing visit after W0 (W2, W4, W6, W8) is past its window without an infusion.
    assert [d.description.split()[2] for d in missed] == ["W2", "W4", "W6", "W8"]
    assert all(d.category == "dosing" for d in missed)
