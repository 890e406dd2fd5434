"""Vital signs: CRF ranges, systolic above diastolic, infusion time points, browser list and form."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from dosing.models import VitalSigns
from dosing.services import vitals_record
from subjects.models import Visit
from tests import factories
from tests.conftest import logged_in

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2024, 4, 20, 12, 0, tzinfo=TZ)
DAY = date(2024, 1, 10)

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def participant(coordinator):
    return factories.enrolled_participant(coordinator, screening_date=date(2024, 1, 3), planned_day1=DAY)


def w0(participant) -> Visit:
    return Visit.objects.get(participant=participant, visit_code="W0")


def record(participant, user, timepoint="pre_infusion", hour=8, minutes=None, **values):
    return vitals_record(
        visit=w0(participant),
        user=user,
        timepoint=timepoint,
        measured_at=datetime(2024, 1, 10, hour, tzinfo=TZ),
        minutes_after_start=minutes,
        **values,
    )


def refused(field, participant, user, **kwargs):
    before = VitalSigns.objects.count()
    with pytest.raises(ValidationError) as caught:
        record(participant, user, **kwargs)
    assert field in caught.value.message_dict, caught.value.message_dict
    assert VitalSigns.objects.count() == before


def test_full_set_is_saved(participant, coordinator):
    vitals = record(
        participant,
        coordinator,
        weight_kg=Decimal("63.5"),
        systolic_bp=120,
        diastolic_bp=80,
        heart_rate=72,
        temperature_c=Decimal("36.6"),
        respiratory_rate=16,
        spo2_percent=98,
    )
    assert (vitals.weight_kg, vitals.systolic_bp, vitals.participant) == (Decimal("63.5"), 120, participant)
    assert vitals.history.first().history_user == coordinator


@pytest.mark.parametrize(
    ("field", "low_ok", "high_ok", "low_bad", "high_bad"),
    [
        ("weight_kg", Decimal("30.0"), Decimal("200.0"), Decimal("29.9"), Decimal("200.1")),
        ("heart_rate", 30, 200, 29, 201),
        ("temperature_c", Decimal("34.0"), Decimal("42.0"), Decimal("33.9"), Decimal("42.1")),
        ("respiratory_rate", 6, 60, 5, 61),
        ("spo2_percent", 50, 100, 49, 101),
        ("systolic_bp", 60, 250, 59, 251),
        ("diastolic_bp", 30, 150, 29, 151),
    ],
)
def test_crf_ranges_are_inclusive(participant, coordinator, field, low_ok, high_ok, low_bad, high_bad):
    refused(field, participant, coordinator, **{field: low_bad})
    refused(field, participant, coordinator, **{field: high_bad})
    assert record(participant, coordinator, timepoint="pre_infusion", **{field: low_ok}).pk
    assert record(participant, coordinator, timepoint="post_infusion", hour=11, **{field: high_ok}).pk


@pytest.mark.parametrize(("systolic", "diastolic"), [(80, 90), (90, 90)])
def test_blood_pressure_reversed_is_refused(participant, coordinator, systolic, diastolic):
    refused("systolic_bp", participant, coordinator, systolic_bp=systolic, diastolic_bp=diastolic)


def test_weight_with_two_decimals_is_refused(participant, coordinator):
    refused("weight_kg", participant, coordinator, weight_kg=Decimal("63.55"))


def test_at_least_one_value(participant, coordinator):
    refused("__all__", participant, coordinator)


def test_future_measurement_is_refused(participant, coordinator):
    with pytest.raises(ValidationError) as caught:
        vitals_record(
            visit=w0(participant),
            user=coordinator,
            timepoint="visit",
            measured_at=datetime(2024, 4, 20, 13, tzinfo=TZ),
            heart_rate=70,
        )
    assert "measured_at" in caught.value.message_dict


def test_during_infusion_needs_minutes_on_the_interval(participant, coordinator):
    refused("minutes_after_start", participant, coordinator, timepoint="during_infusion", heart_rate=70)
    refused("minutes_after_start", participant, coordinator, timepoint="during_infusion", minutes=10, heart_rate=70)
    refused("minutes_after_start", participant, coordinator, timepoint="pre_infusion", minutes=15, heart_rate=70)
    for minutes in (15, 30, 45):
        record(participant, coordinator, timepoint="during_infusion", hour=9, minutes=minutes, heart_rate=70)
    refused("timepoint", participant, coordinator, timepoint="during_infusion", hour=9, minutes=30, heart_rate=71)
    assert VitalSigns.objects.filter(timepoint="during_infusion").count() == 3


@pytest.mark.parametrize("timepoint", ["pre_infusion", "post_infusion", "visit"])
def test_pre_and_post_only_once_per_visit(participant, coordinator, timepoint):
    record(participant, coordinator, timepoint=timepoint, heart_rate=70)
    refused("timepoint", participant, coordinator, timepoint=timepoint, heart_rate=72)


def test_correction_needs_reason(participant, coordinator):
    vitals = record(participant, coordinator, weight_kg=Decimal("63.5"))
    with pytest.raises(ValidationError) as caught:
        vitals_record(
            visit=w0(participant),
            user=coordinator,
            timepoint="pre_infusion",
            measured_at=vitals.measured_at,
            weight_kg=Decimal("65.3"),
            vital_signs=vitals,
        )
    assert "reason_for_change" in caught.value.message_dict
    vitals_record(
        visit=w0(participant),
        user=coordinator,
        timepoint="pre_infusion",
        measured_at=vitals.measured_at,
        weight_kg=Decimal("65.3"),
        vital_signs=vitals,
        reason="Digits swapped",
    )
    vitals.refresh_from_db()
    assert vitals.weight_kg == Decimal("65.3")
    assert vitals.history.first().history_change_reason == "Digits swapped"


# --- Browser ---------------------------------------------------------------------------------------


def form(**overrides) -> dict:
    data = {
        "timepoint": "pre_infusion",
        "measured_at": "2024-01-10T08:00",
        "weight_kg": "63.5",
        "systolic_bp": "120",
        "diastolic_bp": "80",
    }
    data.update(overrides)
    return data


def test_vitals_page_lists_and_records(participant, coordinator):
    url = f"/dosing/{participant.screening_number}/W0/vitals/"
    client = logged_in(coordinator)
    assert "No vital signs recorded" in client.get(url).content.decode()
    assert client.post(url, form()).status_code == 302
    page = client.get(url).content.decode()
    assert "63.5" in page and "120/80" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"systolic_bp": "80", "diastolic_bp": "90"}, "Systolic blood pressure must be greater than diastolic."),
        ({"weight_kg": "29.9"}, "Ensure this value is greater than or equal to 30.0."),
        ({"weight_kg": "200.1"}, "Ensure this value is less than or equal to 200.0."),
    ],
)
def test_vitals_form_errors_save_nothing(participant, coordinator, overrides, message):
    response = logged_in(coordinator).post(f"/dosing/{participant.screening_number}/W0/vitals/", form(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not VitalSigns.objects.exists()


def test_vitals_edit_page_needs_reason(participant, coordinator):
    vitals = record(participant, coordinator, weight_kg=Decimal("63.5"))
    url = f"/dosing/{participant.screening_number}/W0/vitals/{vitals.pk}/"
    client = logged_in(coordinator)
    assert client.get(url).status_code == 200
    assert client.post(url, form(weight_kg="65.3", version=vitals.version)).status_code == 400
    changed = client.post(url, form(weight_kg="65.3", reason_for_change="Digits swapped", version=vitals.version))
    assert changed.status_code == 302
    vitals.refresh_from_db()
    assert vitals.weight_kg == Decimal("65.3")


@pytest.mark.parametrize(
    ("persona", "list_status", "post_status", "edit_status"),
    [
        ("coordinator", 200, 302, 200),
        ("investigator", 200, 302, 200),
        ("data_manager", 200, 403, 403),
        ("api_client_user", 200, 403, 403),
        ("administrator", 200, 403, 403),
        ("dmc_reviewer", 403, 403, 403),
        ("outsider", 403, 403, 403),
    ],
)
def test_vitals_pages_roles(participant, coordinator, personas, persona, list_status, post_status, edit_status):
    existing = record(participant, coordinator, timepoint="visit", heart_rate=70)
    client = logged_in(personas[persona])
    url = f"/dosing/{participant.screening_number}/W0/vitals/"
    assert client.get(url).status_code == list_status
    assert client.post(url, form()).status_code == post_status
    assert client.get(f"{url}{existing.pk}/").status_code == edit_status
    assert VitalSigns.objects.count() == (2 if post_status == 302 else 1)


def test_vitals_pages_anonymous_redirect(participant, client):
    response = client.get(f"/dosing/{participant.screening_number}/W0/vitals/")
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_vitals_list_query_count(participant, coordinator, django_assert_max_num_queries):
    for minutes in (15, 30, 45, 60):
        record(participant, coordinator, timepoint="during_infusion", hour=9, minutes=minutes, heart_rate=70)
    client = logged_in(coordinator)
    # session, user, groups, study, savepoints, visit, study, records, session save ...: constant,
    # whatever the number of rows; + the visit definition (the next form); + the query markers of
    # every row (the participant's queries, read once)
    with django_assert_max_num_queries(14):
        assert client.get(f"/dosing/{participant.screening_number}/W0/vitals/").status_code == 200
