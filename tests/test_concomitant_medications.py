"""Concomitant medications: prior/concomitant at Day 1 exactly, prohibited medications, re-derivation when
Day 1 is recorded, the form with a reason for change, the API, the role ladder."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from medications.models import ConcomitantMedication
from medications.services import cm_day1_refresh, cm_record
from tests import factories
from tests.conftest import logged_in
from trialsite.audit import audited_save

TZ = ZoneInfo("Asia/Shanghai")
DAY1 = date(2024, 1, 10)
URL = "/api/v1/concomitant-medications/"

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with time_machine.travel(datetime(2024, 4, 20, 12, 0, tzinfo=TZ), tick=False):
        yield


@pytest.fixture
def dosed(coordinator):
    return factories.enrolled_participant(coordinator, planned_day1=DAY1, day1=DAY1)


def paracetamol(**overrides) -> dict:
    values = {
        "medication": "Paracetamol",
        "medication_class": "other",
        "indication": "Headache",
        "dose": Decimal("500"),
        "dose_unit": "mg",
        "frequency": "PRN",
        "route": "ORAL",
        "start_date": "2024-01-05",
        "end_date": "2024-01-09",
        "ongoing": False,
    }
    values.update(overrides)
    return values


@pytest.mark.parametrize(
    ("end_date", "ongoing", "expected"),
    [
        ("2024-01-09", False, "prior"),
        ("2024-01-10", False, "concomitant"),
        ("", True, "concomitant"),
        ("2024-01", False, "concomitant"),
        ("2023-12", False, "prior"),
    ],
)
def test_prior_or_concomitant_at_day1(dosed, coordinator, end_date, ongoing, expected):
    cm = cm_record(
        participant=dosed, user=coordinator, **paracetamol(start_date="2023-12", end_date=end_date, ongoing=ongoing)
    )
    assert cm.prior_or_concomitant == expected


def test_no_day1_yet_then_derived_when_day1_is_recorded(coordinator):
    participant = factories.enrolled_participant(coordinator, planned_day1=DAY1)
    cm = cm_record(participant=participant, user=coordinator, **paracetamol(end_date="2024-01-10"))
    assert cm.prior_or_concomitant == ""
    participant.day1_date = DAY1
    audited_save(participant, user=coordinator, reason="Day 1")
    assert cm_day1_refresh(participant=participant, user=coordinator) == 1
    cm.refresh_from_db()
    assert cm.prior_or_concomitant == "concomitant"


def test_prohibited_after_consent_is_a_deviation_but_allowed_steroid_dose_is_not(dosed, coordinator):
    mtx = cm_record(
        participant=dosed,
        user=coordinator,
        **paracetamol(
            medication="MTX",
            medication_class="methotrexate",
            dose=Decimal("15"),
            frequency="QS",
            indication="Psoriasis",
            start_date="2024-02-01",
            end_date="",
            ongoing=True,
        ),
    )
    assert (mtx.prohibited_reason, mtx.deviation_due) == ("systemic_psoriasis_therapy", True)
    pred = cm_record(
        participant=dosed,
        user=coordinator,
        **paracetamol(medication="Prednisone", medication_class="prednisone", dose=Decimal("10"), frequency="QD"),
    )
    assert (pred.prohibited_reason, pred.deviation_due) == ("", False)
    before_consent = cm_record(
        participant=dosed,
        user=coordinator,
        **paracetamol(medication="Humira", medication_class="biologic", start_date="2023-12-05", end_date="2024-01-01"),
    )
    assert (before_consent.prohibited_reason, before_consent.deviation_due) == ("biologic", False)


def test_refusals_name_the_fields(dosed, coordinator):
    with pytest.raises(ValidationError) as error:
        cm_record(participant=dosed, user=coordinator, **paracetamol(end_date="2024-01-01", start_date="2024-01-05"))
    assert "end_date" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        cm_record(participant=dosed, user=coordinator, **paracetamol(medication_class="", route="", end_date="2024-13"))
    assert {"medication_class", "route", "end_date"} <= set(error.value.message_dict)


def test_form_ladder_new_and_correction_with_reason(dosed, coordinator, dmc_reviewer, client):
    url = reverse("medications:cm_new", args=[dosed.screening_number])
    assert client.get(url).status_code == 302
    assert logged_in(dmc_reviewer).get(url).status_code == 403
    browser = logged_in(coordinator)
    data = {k: ("" if v is None else str(v)) for k, v in paracetamol().items()}
    data["ongoing"] = ""
    assert browser.post(url, data).status_code == 302
    cm = ConcomitantMedication.objects.get()
    page = browser.get(reverse("subjects:detail", args=[dosed.screening_number])).content.decode()
    assert 'id="cm-table"' in page and "Paracetamol" in page
    edit = reverse("medications:cm_edit", args=[cm.pk])
    assert browser.post(edit, {**data, "version": 1}).status_code == 400
    assert (
        browser.post(edit, {**data, "indication": "Migraine", "version": 1, "reason_for_change": "x"}).status_code
        == 302
    )
    assert browser.post(edit, {**data, "indication": "Pain", "version": 1, "reason_for_change": "y"}).status_code == 409


def test_api_post_patch_and_roles(dosed, coordinator, data_manager, dmc_reviewer):
    client = APIClient()
    client.force_authenticate(coordinator)
    body = {k: ("" if v is None else str(v)) for k, v in paracetamol().items()}
    body.update(participant=dosed.screening_number, ongoing=False)
    response = client.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["prior_or_concomitant"] == "prior"
    pk = response.json()["id"]
    patched = client.patch(
        f"{URL}{pk}/", {"end_date": "2024-01-10", "reason_for_change": "source"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert patched.status_code == 200, patched.json()
    assert patched.json()["prior_or_concomitant"] == "concomitant"
    assert client.patch(f"{URL}{pk}/", {"end_date": "2024-01-11"}, format="json").status_code == 428
    assert APIClient().get(URL).status_code == 401
    reader = APIClient()
    reader.force_authenticate(dmc_reviewer)
    assert reader.get(URL).status_code == 403
    reader.force_authenticate(data_manager)
    assert reader.get(URL).status_code == 200
