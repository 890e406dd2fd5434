"""Vital signs and infusion REST API: derived dose fields, refusals as 400, PATCH with reason, roles, queries."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.test import APIClient

from dosing.models import Infusion, VitalSigns
from tests import factories
from trialsite.audit import audited_save

TZ = ZoneInfo("Asia/Shanghai")
VITALS = "/api/v1/vital-signs/"
INFUSIONS = "/api/v1/infusions/"

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen():
    with time_machine.travel(datetime(2024, 4, 20, 12, 0, tzinfo=TZ), tick=False):
        yield


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def participant(coordinator):
    return factories.enrolled_participant(coordinator, screening_date=date(2024, 1, 3), planned_day1=date(2024, 1, 10))


def vitals(who, visit_code="W0", day="2024-01-10", **overrides) -> dict:
    data = {
        "participant": who.screening_number,
        "visit_code": visit_code,
        "timepoint": "pre_infusion",
        "measured_at": f"{day}T08:00:00+08:00",
        "weight_kg": "63.5",
        "systolic_bp": 120,
        "diastolic_bp": 80,
    }
    data.update(overrides)
    return data


def infusion(who, visit_code="W0", day="2024-01-10", **overrides) -> dict:
    data = {
        "participant": who.screening_number,
        "visit_code": visit_code,
        "administered_cells": 127_000_000,
        "product_lot": "UC-2024-007",
        "viability_percent": "92.5",
        "thaw_time": f"{day}T08:30:00+08:00",
        "start_time": f"{day}T09:00:00+08:00",
        "end_time": f"{day}T10:00:00+08:00",
        "volume_ml": "100.0",
        "whole_volume_given": True,
    }
    data.update(overrides)
    return data


# --- Vital signs -------------------------------------------------------------------------------------


def test_post_vitals(participant, coordinator):
    response = api(coordinator).post(VITALS, vitals(participant), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["participant"], body["visit_code"], body["weight_kg"], body["infusion_number"]) == (
        "SCR-001",
        "W0",
        "63.5",
        None,
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"weight_kg": "29.9"}, "weight_kg"),
        ({"weight_kg": "200.1"}, "weight_kg"),
        ({"systolic_bp": 80, "diastolic_bp": 90}, "systolic_bp"),
        ({"timepoint": "during_infusion"}, "minutes_after_start"),
        ({"timepoint": "during_infusion", "minutes_after_start": 20}, "minutes_after_start"),
        ({"timepoint": "soon"}, "timepoint"),
        ({"spo2_percent": 101}, "spo2_percent"),
        ({"measured_at": "2024-04-21T08:00:00+08:00"}, "measured_at"),
    ],
)
def test_bad_vitals_are_400_and_nothing_saved(participant, coordinator, overrides, field):
    response = api(coordinator).post(VITALS, vitals(participant, **overrides), format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not VitalSigns.objects.exists()


def test_vitals_patch_needs_reason(participant, coordinator):
    client = api(coordinator)
    pk = client.post(VITALS, vitals(participant), format="json").json()["id"]
    read = {"HTTP_IF_MATCH": client.get(f"{VITALS}{pk}/").headers["ETag"]}
    assert client.patch(f"{VITALS}{pk}/", {"weight_kg": "65.3"}, format="json", **read).status_code == 400
    response = client.patch(
        f"{VITALS}{pk}/", {"weight_kg": "65.3", "reason_for_change": "swapped"}, format="json", **read
    )
    assert response.status_code == 200, response.json()
    saved = VitalSigns.objects.get()
    assert saved.weight_kg == Decimal("65.3")
    assert saved.history.first().history_change_reason == "swapped"


# --- Infusions ---------------------------------------------------------------------------------------


def test_post_infusion_returns_derived_dose(participant, coordinator):
    client = api(coordinator)
    client.post(VITALS, vitals(participant), format="json")
    response = client.post(INFUSIONS, infusion(participant, planned_cells=1, dose_deviation=True), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["planned_cells"] == 127_000_000
    assert body["weight_kg_used"] == "63.5"
    assert body["dose_per_kg"] == 2_000_000
    assert (body["dose_deviation"], body["deviation"]) == (False, False)
    assert (body["thaw_to_start_minutes"], body["infusion_number"], body["route"]) == (30, 1, "INTRAVENOUS")
    assert body["administered_by"] == "alice"
    participant.refresh_from_db()
    assert participant.day1_date == date(2024, 1, 10)
    # the pre-infusion vitals now point at the infusion
    assert client.get(VITALS).json()["results"][0]["infusion_number"] == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"administered_cells": 0}, "administered_cells"),
        ({"administered_cells": "127000000.5"}, "administered_cells"),
        ({"administered_cells": 114_299_999}, "deviation_reason"),
        ({"end_time": "2024-01-10T08:59:00+08:00"}, "end_time"),
        ({"thaw_time": "2024-01-10T09:30:00+08:00"}, "thaw_time"),
        ({"whole_volume_given": False}, "volume_given_ml"),
        ({"volume_ml": "600.0"}, "volume_ml"),
        ({"visit_code": "W12"}, "visit"),
    ],
)
def test_bad_infusion_is_400_and_nothing_saved(participant, coordinator, overrides, field):
    client = api(coordinator)
    client.post(VITALS, vitals(participant), format="json")
    response = client.post(INFUSIONS, infusion(participant, **overrides), format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Infusion.objects.exists()


def test_infusion_without_weight_is_400(participant, coordinator):
    response = api(coordinator).post(INFUSIONS, infusion(participant), format="json")
    assert response.status_code == 400
    assert "No pre-infusion weight" in response.json()["weight_kg_used"][0]


def test_infusion_on_safety_hold_is_400(participant, coordinator):
    client = api(coordinator)
    client.post(VITALS, vitals(participant), format="json")
    participant.on_safety_hold = True
    audited_save(participant, user=coordinator, reason="Safety hold")
    response = client.post(INFUSIONS, infusion(participant), format="json")
    assert response.status_code == 400 and "safety hold" in response.json()["participant"][0]
    assert not Infusion.objects.exists()


def test_infusion_deviation_with_reason_is_flagged(participant, coordinator):
    client = api(coordinator)
    client.post(VITALS, vitals(participant), format="json")
    data = infusion(participant, administered_cells=114_299_999, deviation_reason="Low viable count")
    body = client.post(INFUSIONS, data, format="json").json()
    assert (body["dose_deviation"], body["deviation_reason"]) == (True, "Low viable count")
    assert client.get(INFUSIONS, {"dose_deviation": "true"}).json()["count"] == 1


def test_infusion_patch_needs_reason_and_is_audited(participant, coordinator):
    client = api(coordinator)
    client.post(VITALS, vitals(participant), format="json")
    pk = client.post(INFUSIONS, infusion(participant), format="json").json()["id"]
    read = {"HTTP_IF_MATCH": client.get(f"{INFUSIONS}{pk}/").headers["ETag"]}
    assert client.patch(f"{INFUSIONS}{pk}/", {"product_lot": "UC-9"}, format="json", **read).status_code == 400
    assert Infusion.objects.get().product_lot == "UC-2024-007"
    response = client.patch(
        f"{INFUSIONS}{pk}/", {"product_lot": "UC-9", "reason_for_change": "lot misread"}, format="json", **read
    )
    assert response.status_code == 200, response.json()
    saved = Infusion.objects.get()
    assert saved.product_lot == "UC-9"
    assert saved.history.first().history_change_reason == "lot misread"
    assert saved.history.first().history_user == coordinator


@pytest.mark.parametrize(
    ("persona", "read", "write"),
    [
        ("coordinator", 200, 201),
        ("investigator", 200, 201),
        ("data_manager", 200, 403),
        ("api_client_user", 200, 403),
        ("administrator", 200, 403),
        ("dmc_reviewer", 403, 403),
        ("outsider", 403, 403),
    ],
)
def test_roles(participant, coordinator, personas, persona, read, write):
    client = api(personas[persona])
    assert client.get(VITALS).status_code == read
    assert client.get(INFUSIONS).status_code == read
    assert client.post(VITALS, vitals(participant), format="json").status_code == write
    if write == 403:
        api(coordinator).post(VITALS, vitals(participant), format="json")
    assert client.post(INFUSIONS, infusion(participant), format="json").status_code == write
    if write == 403:
        api(coordinator).post(INFUSIONS, infusion(participant), format="json")
        vitals_pk, infusion_pk = VitalSigns.objects.get().pk, Infusion.objects.get().pk
        reason = {"reason_for_change": "x"}
        assert client.patch(f"{VITALS}{vitals_pk}/", {"heart_rate": 70, **reason}, format="json").status_code == 403
        assert (
            client.patch(f"{INFUSIONS}{infusion_pk}/", {"product_lot": "Z", **reason}, format="json").status_code == 403
        )
        assert client.get(f"{INFUSIONS}{infusion_pk}/").status_code == read
        assert Infusion.objects.get().product_lot == "UC-2024-007"


def test_anonymous_is_401(participant):
    for url in (VITALS, INFUSIONS):
        assert api().get(url).status_code == 401
        assert api().post(url, {}, format="json").status_code == 401


def test_lists_filter_and_use_constant_queries(coordinator, django_assert_max_num_queries):
    client = api(coordinator)
    for _ in range(3):
        p = factories.enrolled_participant(coordinator, screening_date=date(2024, 1, 3), planned_day1=date(2024, 1, 10))
        for code, day in (("W0", "2024-01-10"), ("W2", "2024-01-24")):
            assert client.post(VITALS, vitals(p, code, day), format="json").status_code == 201
            assert client.post(INFUSIONS, infusion(p, code, day), format="json").status_code == 201
    with django_assert_max_num_queries(5):  # study, savepoint, count, page, release
        assert client.get(VITALS).json()["count"] == 6
    with django_assert_max_num_queries(5):
        assert client.get(INFUSIONS).json()["count"] == 6
    body = client.get(INFUSIONS, {"participant": "SCR-003", "visit_code": "W2"}).json()
    assert [(r["participant"], r["visit_code"], r["infusion_number"]) for r in body["results"]] == [
        ("SCR-003", "W2", 2)
    ]
    assert client.get(VITALS, {"participant": "SCR-001", "visit_code": "W0"}).json()["count"] == 1
