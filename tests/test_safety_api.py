"""REST: adverse-events/ and safety-holds/ — fields, filters, derived values, writes and roles."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.test import APIClient

from safety.models import AdverseEvent, SafetyHold
from safety.services import adverse_event_record
from tests import factories
from tests.conftest import PASSWORD

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2024, 3, 1, 12, 0, tzinfo=TZ)
pytestmark = pytest.mark.django_db


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def current(record) -> dict:
    """The If-Match header of a client that read `record` as it is now."""
    record.refresh_from_db()
    return {"HTTP_IF_MATCH": f'"{record.version}"'}


BODY = {
    "participant": "SCR-001",
    "term": "Urticaria",
    "onset_date": "2024-01-10",
    "end_date": "2024-01-11",
    "grade": 2,
    "serious": False,
    "relationship": "unlikely",
    "expected": True,
    "action_taken": "dose_not_changed",
    "outcome": "recovered",
}


@pytest.fixture
def enrolled(coordinator, study):
    return factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))


def record(participant, user, **overrides):
    fields = dict(
        term="Headache",
        onset_date=date(2024, 1, 12),
        end_date=None,
        ongoing=True,
        grade=1,
        serious=False,
        relationship="unlikely",
        expected=True,
        action_taken="dose_not_changed",
        outcome="recovering",
    )
    fields.update(overrides)
    return adverse_event_record(participant=participant, user=user, **fields)


@time_machine.travel(NOW, tick=False)
def test_create_returns_crf_fields_and_derived_values(coordinator, enrolled):
    body = {
        **BODY,
        "serious": True,
        "hospitalization": True,
        "grade": 3,
        "end_date": None,
        "ongoing": True,
        "outcome": "recovering",
        "awareness_time": "2024-02-29T13:00:00+08:00",
    }
    response = api(coordinator).post("/api/v1/adverse-events/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["participant"] == "SCR-001" and data["subject_id"] == "S2018-11-001"
    assert (data["ae_number"], data["term"], data["grade"], data["serious"], data["hospitalization"]) == (
        1,
        "Urticaria",
        3,
        True,
        True,
    )
    assert data["treatment_emergent"] is True and data["is_related"] is False
    assert data["sae_due_at"] == "2024-03-01T13:00:00+08:00"
    assert data["sae_clock_state"] == "due"
    second = api(coordinator).post("/api/v1/adverse-events/", BODY, format="json").json()
    assert second["ae_number"] == 2 and second["sae_clock_state"] is None


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"end_date": "2024-01-09"}, "end_date"),
        ({"grade": 5}, "outcome"),
        ({"serious": True}, "serious"),
        ({"onset_date": "2023-12-31"}, "onset_date"),
        ({"infusion_reaction": True}, "infusion"),
        ({"grade": 6}, "grade"),
        ({"relationship": "maybe"}, "relationship"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_saves_nothing(coordinator, enrolled, changes, field):
    response = api(coordinator).post("/api/v1/adverse-events/", {**BODY, **changes}, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert AdverseEvent.objects.count() == 0


def test_infusion_of_another_participant_is_refused(coordinator, enrolled):
    from tests.test_dmc_dashboard import infusion

    other = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10), initials="CD")
    foreign = infusion(other, "W0", 1, 127_000_000, coordinator)
    response = api(coordinator).post(
        "/api/v1/adverse-events/", {**BODY, "infusion_reaction": True, "infusion": foreign.pk}, format="json"
    )
    assert response.status_code == 400
    assert "another participant" in response.json()["infusion"][0]
    own = infusion(enrolled, "W0", 1, 127_000_000, coordinator)
    response = api(coordinator).post(
        "/api/v1/adverse-events/", {**BODY, "infusion_reaction": True, "infusion": own.pk}, format="json"
    )
    assert response.status_code == 201 and response.json()["infusion_number"] == 1


def test_patch_needs_reason_and_causality_is_investigator_only(coordinator, investigator, enrolled):
    ae = record(enrolled, coordinator)
    url = f"/api/v1/adverse-events/{ae.pk}/"
    response = api(coordinator).patch(url, {"term": "Migraine"}, format="json", **current(ae))
    assert response.status_code == 400 and "reason_for_change" in response.json()
    response = api(coordinator).patch(
        url, {"relationship": "probable", "reason_for_change": "x"}, format="json", **current(ae)
    )
    assert response.status_code == 400
    assert "Only an investigator" in response.json()["relationship"][0]
    ae.refresh_from_db()
    assert ae.relationship == "unlikely"
    response = api(coordinator).patch(
        url, {"term": "Migraine", "reason_for_change": "Source"}, format="json", **current(ae)
    )
    assert response.status_code == 200 and response.json()["term"] == "Migraine"
    response = api(investigator).patch(
        url, {"relationship": "probable", "reason_for_change": "Re-assessed"}, format="json", **current(ae)
    )
    assert response.status_code == 200 and response.json()["is_related"] is True
    assert response.json()["causality_assessed_by"] == "ivan"
    assert api(coordinator).put(url, {**BODY, "reason_for_change": "x"}, format="json").status_code in (403, 405)


def test_assess_action(coordinator, investigator, data_manager, enrolled):
    ae = record(enrolled, coordinator, grade=3)
    url = f"/api/v1/adverse-events/{ae.pk}/assess/"
    body = {"relationship": "definite", "expected": False, "reason": "Rechallenge positive", "password": PASSWORD}
    assert api().post(url, body, format="json").status_code == 401
    for user in (coordinator, data_manager):
        assert api(user).post(url, body, format="json").status_code == 403
    assert api(investigator).post(url, {**body, "reason": ""}, format="json").status_code == 400
    response = api(investigator).post(url, body, format="json")
    assert response.status_code == 200
    assert (response.json()["relationship"], response.json()["expected"]) == ("definite", False)
    enrolled.refresh_from_db()
    assert enrolled.on_safety_hold is True  # grade 3, now related


def test_list_filters_and_query_count(coordinator, enrolled, api_client_user, django_assert_max_num_queries):
    other = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10), initials="CD")
    record(enrolled, coordinator)
    record(enrolled, coordinator, grade=2)
    record(other, coordinator, grade=2)
    record(
        other,
        coordinator,
        grade=3,
        serious=True,
        hospitalization=True,
        awareness_time=datetime(2024, 1, 13, 8, 0, tzinfo=TZ),
    )
    client = api(api_client_user)
    with django_assert_max_num_queries(7):
        data = client.get("/api/v1/adverse-events/").json()
    assert data["count"] == 4
    assert [(r["participant"], r["ae_number"]) for r in data["results"]] == [
        ("SCR-001", 1),
        ("SCR-001", 2),
        ("SCR-002", 1),
        ("SCR-002", 2),
    ]
    assert client.get("/api/v1/adverse-events/?participant=SCR-002").json()["count"] == 2
    assert client.get("/api/v1/adverse-events/?serious=true").json()["count"] == 1
    assert client.get("/api/v1/adverse-events/?grade=2").json()["count"] == 2
    single = client.get(f"/api/v1/adverse-events/{data['results'][3]['id']}/").json()
    assert single["sae_clock_state"] == "overdue" and single["sae_due_at"] == "2024-01-14T08:00:00+08:00"


@pytest.mark.parametrize(
    "persona,get_status,post_status",
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
def test_adverse_event_roles(personas, enrolled, persona, get_status, post_status):
    client = api(personas[persona])
    assert client.get("/api/v1/adverse-events/").status_code == get_status
    assert client.post("/api/v1/adverse-events/", BODY, format="json").status_code == post_status
    ae = AdverseEvent.objects.first() or record(enrolled, personas["coordinator"])
    patch = client.patch(
        f"/api/v1/adverse-events/{ae.pk}/", {"term": "x", "reason_for_change": "y"}, format="json", **current(ae)
    )
    assert patch.status_code == (200 if post_status == 201 else 403)


def test_anonymous_gets_401(enrolled):
    assert api().get("/api/v1/adverse-events/").status_code == 401
    assert api().post("/api/v1/adverse-events/", BODY, format="json").status_code == 401
    assert api().get("/api/v1/safety-holds/").status_code == 401


@pytest.mark.parametrize(
    "persona,list_status,release_status",
    [
        ("investigator", 200, 200),
        ("coordinator", 200, 403),
        ("data_manager", 200, 403),
        ("dmc_reviewer", 200, 403),
        ("api_client_user", 200, 403),
        ("administrator", 200, 403),
        ("outsider", 403, 403),
    ],
)
def test_safety_holds_and_release(personas, enrolled, persona, list_status, release_status):
    record(enrolled, personas["coordinator"], grade=3, relationship="probable")
    hold = SafetyHold.objects.get()
    client = api(personas[persona])
    listed = client.get("/api/v1/safety-holds/?open=true")
    assert listed.status_code == list_status
    if list_status == 200:
        row = listed.json()["results"][0]
        assert (row["participant"], row["subject_id"], row["ae_number"], row["open"]) == (
            None if persona == "dmc_reviewer" else "SCR-001",  # pseudonymised for the DMC
            "S2018-11-001",
            1,
            True,
        )
    url = f"/api/v1/safety-holds/{hold.pk}/release/"
    if release_status == 200:
        assert client.post(url, {"reason": "", "password": PASSWORD}, format="json").status_code == 400
    response = client.post(url, {"reason": "DMC reviewed", "password": PASSWORD}, format="json")
    assert response.status_code == release_status
    hold.refresh_from_db()
    enrolled.refresh_from_db()
    assert (hold.released_at is not None) == (release_status == 200)
    assert enrolled.on_safety_hold == (release_status != 200)
    if release_status == 200:
        assert response.json()["open"] is False and response.json()["released_by"] == "ivan"
        again = client.post(url, {"reason": "again", "password": PASSWORD}, format="json")
        assert again.status_code == 400 and "already been released" in again.json()["reason"][0]
