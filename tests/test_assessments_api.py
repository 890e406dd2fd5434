"""PASI REST API: derived fields, never-typed total, one per visit, PATCH with reason, roles, query counts."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.test import APIClient

from assessments.models import PasiAssessment
from assessments.services import pasi_save
from subjects.models import Visit
from tests import factories
from trialsite.audit import audited_save

TZ = ZoneInfo("Asia/Shanghai")
URL = "/api/v1/pasi-assessments/"

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


def payload(who, visit_code="W0", **overrides) -> dict:
    # PASI 14.0: head 1.0 + upper limbs 1.6 + trunk 5.4 + lower limbs 6.0
    data = {
        "participant": who.screening_number,
        "visit_code": visit_code,
        "assessment_date": "2024-01-10",
        "bsa_percent": "18.5",
        "head_erythema": 2,
        "head_induration": 2,
        "head_desquamation": 1,
        "head_area_percent": "15.0",
        "upper_limbs_erythema": 2,
        "upper_limbs_induration": 1,
        "upper_limbs_desquamation": 1,
        "upper_limbs_area_percent": "25.0",
        "trunk_erythema": 2,
        "trunk_induration": 2,
        "trunk_desquamation": 2,
        "trunk_area_percent": "35.0",
        "lower_limbs_erythema": 2,
        "lower_limbs_induration": 2,
        "lower_limbs_desquamation": 1,
        "lower_limbs_area_percent": "45.0",
    }
    data.update(overrides)
    return data


def test_post_computes_pasi_and_ignores_a_typed_total(participant, coordinator):
    response = api(coordinator).post(URL, payload(participant, pasi_total="70.0"), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["pasi_total"] == "14.0"
    assert body["region_subtotals"] == {"head": "1.0", "upper_limbs": "1.6", "trunk": "5.4", "lower_limbs": "6.0"}
    assert body["participant"] == "SCR-001" and body["visit_code"] == "W0"
    assert body["head_area_score"] == 2
    assert body["improvement_percent"] is None  # W0 on Day 1 is the baseline itself: no improvement
    assert (body["pasi50"], body["pasi100"]) == (None, None)
    assert PasiAssessment.objects.get().pasi_total == Decimal("14.0")


def test_improvement_and_responders_against_baseline(participant, coordinator):
    client = api(coordinator)
    client.post(URL, payload(participant), format="json")
    # W2: every item 1, every area 5 % (score 1): 0.1×3 + 0.2×3 + 0.3×3 + 0.4×3 = 3.0
    w2 = payload(participant, "W2", assessment_date="2024-01-24")
    for key in list(w2):
        if key.endswith(("_erythema", "_induration", "_desquamation")):
            w2[key] = 1
        elif key.endswith("_area_percent"):
            w2[key] = "5.0"
    body = client.post(URL, w2, format="json").json()
    # (14.0 − 3.0) / 14.0 × 100 = 78.571… → 78.6
    assert body["improvement_percent"] == "78.6"
    assert (body["pasi50"], body["pasi75"], body["pasi90"], body["pasi100"]) == (True, True, False, False)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"head_erythema": 5}, "head_erythema"),
        ({"trunk_induration": -1}, "trunk_induration"),
        ({"lower_limbs_area_percent": "100.5"}, "lower_limbs_area_percent"),
        ({"head_area_percent": None}, "head_area_percent"),
        ({"head_area_percent": None, "head_area_score": 7}, "head_area_score"),
        ({"assessment_date": "2024-04-21"}, "assessment_date"),
        ({"visit_code": "W5"}, "visit_code"),
        ({"participant": "SCR-999"}, "participant"),
        ({"head_erythema": "x"}, "head_erythema"),
    ],
)
def test_bad_input_is_400_and_nothing_saved(participant, coordinator, overrides, field):
    response = api(coordinator).post(URL, payload(participant, **overrides), format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not PasiAssessment.objects.exists()


def test_missing_region_is_400(participant, coordinator):
    data = {k: v for k, v in payload(participant).items() if not k.startswith("trunk")}
    response = api(coordinator).post(URL, data, format="json")
    assert response.status_code == 400
    assert {"trunk_erythema", "trunk_induration", "trunk_desquamation"} <= response.json().keys()
    assert not PasiAssessment.objects.exists()


def test_one_per_visit(participant, coordinator):
    client = api(coordinator)
    assert client.post(URL, payload(participant), format="json").status_code == 201
    response = client.post(URL, payload(participant), format="json")
    assert response.status_code == 400
    assert "already recorded" in response.json()["visit"][0]
    assert PasiAssessment.objects.count() == 1


def test_patch_needs_reason_and_is_audited(participant, coordinator):
    client = api(coordinator)
    pk = client.post(URL, payload(participant), format="json").json()["id"]
    read = {"HTTP_IF_MATCH": client.get(f"{URL}{pk}/").headers["ETag"]}
    response = client.patch(f"{URL}{pk}/", {"head_erythema": 0}, format="json", **read)
    assert response.status_code == 400
    assert "reason_for_change" in response.json()
    assert PasiAssessment.objects.get().head_erythema == 2
    typed_total = {"head_erythema": 0, "reason_for_change": "Source says 0", "pasi_total": "1.0"}
    response = client.patch(f"{URL}{pk}/", typed_total, format="json", **read)
    assert response.status_code == 400 and list(response.json()) == ["pasi_total"]  # derived: never typed
    response = client.patch(
        f"{URL}{pk}/", {"head_erythema": 0, "reason_for_change": "Source says 0"}, format="json", **read
    )
    assert response.status_code == 200, response.json()
    assert response.json()["pasi_total"] == "13.6"
    saved = PasiAssessment.objects.get()
    assert (saved.head_erythema, saved.pasi_total) == (0, Decimal("13.6"))
    assert saved.history.first().history_change_reason == "Source says 0"
    assert saved.history.first().history_user == coordinator


def test_patch_keeps_an_area_entered_as_score(participant, coordinator):
    client = api(coordinator)
    data = payload(participant, head_area_percent=None, head_area_score=2)
    pk = client.post(URL, data, format="json").json()["id"]
    read = {"HTTP_IF_MATCH": client.get(f"{URL}{pk}/").headers["ETag"]}
    response = client.patch(f"{URL}{pk}/", {"trunk_erythema": 1, "reason_for_change": "typo"}, format="json", **read)
    assert response.status_code == 200, response.json()
    saved = PasiAssessment.objects.get()
    assert (saved.head_area_percent, saved.head_area_score) == (None, 2)


def test_patch_cannot_move_to_another_visit(participant, coordinator):
    client = api(coordinator)
    pk = client.post(URL, payload(participant), format="json").json()["id"]
    read = {"HTTP_IF_MATCH": client.get(f"{URL}{pk}/").headers["ETag"]}
    response = client.patch(f"{URL}{pk}/", {"visit_code": "W2", "reason_for_change": "x"}, format="json", **read)
    assert response.status_code == 400 and "visit_code" in response.json()


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
    assert client.get(URL).status_code == read
    assert client.post(URL, payload(participant), format="json").status_code == write
    if write == 403:
        pk = pasi_save(
            visit=Visit.objects.get(participant=participant, visit_code="W0"),
            user=coordinator,
            assessment_date=date(2024, 1, 10),
            regions={
                r: {"erythema": 1, "induration": 1, "desquamation": 1, "area_score": 1}
                for r in ("head", "upper_limbs", "trunk", "lower_limbs")
            },
        ).pk
        response = client.patch(f"{URL}{pk}/", {"head_erythema": 0, "reason_for_change": "x"}, format="json")
        assert response.status_code == 403
        assert client.get(f"{URL}{pk}/").status_code == read
        assert PasiAssessment.objects.get().head_erythema == 1


def test_anonymous_is_401(participant):
    assert api().get(URL).status_code == 401
    assert api().post(URL, payload(participant), format="json").status_code == 401


def test_list_filters_and_constant_queries(coordinator, django_assert_max_num_queries):
    participants = [
        factories.enrolled_participant(coordinator, screening_date=date(2024, 1, 3), planned_day1=date(2024, 1, 10))
        for _ in range(3)
    ]
    client = api(coordinator)
    for p in participants:
        for code, day in (("W0", "2024-01-10"), ("W2", "2024-01-24")):
            assert client.post(URL, payload(p, code, assessment_date=day), format="json").status_code == 201
    with django_assert_max_num_queries(5):  # study, savepoint, count, page, release
        body = client.get(URL).json()
    assert body["count"] == 6
    body = client.get(URL, {"participant": "SCR-002", "visit_code": "W2"}).json()
    assert [(r["participant"], r["visit_code"]) for r in body["results"]] == [("SCR-002", "W2")]


def test_baseline_change_shows_in_improvement(participant, coordinator):
    # without Day 1 yet, W0 is the baseline; the W2 figure follows it
    client = api(coordinator)
    client.post(URL, payload(participant), format="json")
    participant.refresh_from_db()
    assert participant.baseline_pasi == Decimal("14.0")
    participant.baseline_pasi = Decimal("0.0")
    audited_save(participant, user=coordinator, reason="test: zero baseline")
    body = client.get(URL).json()["results"][0]
    assert body["improvement_percent"] is None and body["pasi50"] is None
