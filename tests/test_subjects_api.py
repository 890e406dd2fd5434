"""REST API of participants, screening, sign-off, enrollment, visits and the study configuration."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.test import APIClient

from subjects import services
from subjects.models import Participant, Screening, Study, Visit
from tests.conftest import PASSWORD
from tests.subjects_helpers import SCREENING, enrolled, register, screened, signed_off

SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db
BASE = "/api/v1/participants/"
REGISTRATION = {
    "initials": "AB",
    "sex": "F",
    "date_of_birth": "1980-05-17",
    "consent_date": "2024-01-02",
    "consent_version": "1.0",
}


@pytest.fixture(autouse=True)
def _frozen_today():
    with time_machine.travel(datetime(2024, 1, 8, 10, 0, tzinfo=SHANGHAI), tick=False):
        yield


def api(user=None) -> APIClient:
    client = APIClient()
    client.default_format = "json"
    if user is not None:
        client.force_authenticate(user)
    return client


def read_etag(client, url: str) -> dict:
    """The If-Match header a client sends after reading `url` (changes of saved records need it)."""
    return {"HTTP_IF_MATCH": client.get(url).headers["ETag"]}


def screening_json(**overrides):
    data = {
        k: (v.isoformat() if isinstance(v, date) else str(v) if not isinstance(v, bool) else v)
        for k, v in SCREENING.items()
    }
    return {**data, **overrides}


# --- Role ladder ------------------------------------------------------------------------------


def test_anonymous_gets_401_everywhere(coordinator):
    p = register(coordinator)
    for method, url in [
        ("get", BASE),
        ("post", BASE),
        ("get", f"{BASE}{p.screening_number}/"),
        ("patch", f"{BASE}{p.screening_number}/"),
        ("get", f"{BASE}{p.screening_number}/screening/"),
        ("put", f"{BASE}{p.screening_number}/screening/"),
        ("post", f"{BASE}{p.screening_number}/signoff/"),
        ("post", f"{BASE}{p.screening_number}/enroll/"),
        ("post", f"{BASE}{p.screening_number}/withdraw/"),
        ("get", f"{BASE}{p.screening_number}/visits/"),
        ("patch", f"{BASE}{p.screening_number}/visits/W2/"),
        ("get", "/api/v1/study/"),
        ("patch", "/api/v1/study/"),
    ]:
        assert getattr(api(), method)(url, {}, format="json").status_code == 401, (method, url)


@pytest.mark.parametrize("persona", ["dmc_reviewer", "outsider"])
def test_roles_without_clinical_access_get_403(personas, persona):
    p = register(personas["coordinator"])
    client = api(personas[persona])
    for method, url in [
        ("get", BASE),
        ("post", BASE),
        ("get", f"{BASE}{p.screening_number}/"),
        ("patch", f"{BASE}{p.screening_number}/"),
        ("get", f"{BASE}{p.screening_number}/screening/"),
        ("put", f"{BASE}{p.screening_number}/screening/"),
        ("post", f"{BASE}{p.screening_number}/signoff/"),
        ("post", f"{BASE}{p.screening_number}/enroll/"),
        ("post", f"{BASE}{p.screening_number}/withdraw/"),
        ("get", f"{BASE}{p.screening_number}/visits/"),
        ("patch", f"{BASE}{p.screening_number}/visits/W2/"),
        ("get", "/api/v1/study/"),
        ("patch", "/api/v1/study/"),
    ]:
        response = getattr(client, method)(url, {}, format="json")
        assert response.status_code == 403, (method, url)
        assert "initials" not in response.content.decode()


@pytest.mark.parametrize("persona", ["data_manager", "api_client_user", "administrator"])
def test_read_only_roles_read_but_cannot_write(personas, persona):
    p = register(personas["coordinator"])
    client = api(personas[persona])
    assert client.get(BASE).status_code == 200
    assert client.get(f"{BASE}{p.screening_number}/").json()["initials"] == "AB"
    assert client.get(f"{BASE}{p.screening_number}/visits/").status_code == 200
    assert client.get("/api/v1/study/").status_code == 200
    assert client.post(BASE, REGISTRATION, format="json").status_code == 403
    assert client.put(f"{BASE}{p.screening_number}/screening/", screening_json(), format="json").status_code == 403
    assert client.post(f"{BASE}{p.screening_number}/enroll/").status_code == 403
    assert client.post(f"{BASE}{p.screening_number}/signoff/", {"password": PASSWORD}).status_code == 403
    assert Participant.objects.count() == 1


def test_coordinator_may_not_sign_off_or_change_study(coordinator):
    p = screened(coordinator)
    client = api(coordinator)
    assert client.post(f"{BASE}{p.screening_number}/signoff/", {"password": PASSWORD}).status_code == 403
    assert client.patch("/api/v1/study/", {"enrollment_target": 9, "reason_for_change": "x"}).status_code == 403
    assert Study.current().enrollment_target == 5


def test_unknown_participant_and_visit_are_404(coordinator, investigator):
    client = api(coordinator)
    assert client.get(f"{BASE}SCR-999/").status_code == 404
    assert client.get(f"{BASE}SCR-999/visits/").status_code == 404
    p = enrolled(coordinator, investigator, PASSWORD)
    assert client.patch(f"{BASE}{p.screening_number}/visits/W99/", {"actual_date": "2024-01-05"}).status_code == 404


# --- The flow --------------------------------------------------------------------------------


def test_register_screen_signoff_enroll_through_the_api(coordinator, investigator):
    client = api(coordinator)
    response = client.post(BASE, REGISTRATION, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["screening_number"] == "SCR-001"
    assert response.json()["next_action"] == "Record screening"

    response = client.put(f"{BASE}SCR-001/screening/", screening_json(), format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["eligible"] is False
    assert response.json()["failed_criteria"] == ["screening_pasi_missing"]
    services.screening_set_pasi(participant=Participant.objects.get(), pasi_total=12.4, user=coordinator)

    response = api(investigator).post(f"{BASE}SCR-001/signoff/", {"password": "wrong"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()
    response = api(investigator).post(f"{BASE}SCR-001/signoff/", {"password": PASSWORD}, format="json")
    assert response.status_code == 200
    assert response.json()["investigator_signoff_by"] == "ivan"
    assert response.json()["signoff_meaning"] == "I confirm this participant's eligibility"

    response = client.post(f"{BASE}SCR-001/enroll/")
    assert response.status_code == 200
    assert (response.json()["subject_id"], response.json()["usubjid"]) == ("001", "S2018-11-01-001")
    assert client.post(f"{BASE}SCR-001/enroll/").json() == {"subject_id": ["SCR-001 is already enrolled."]}

    visits = client.get(f"{BASE}SCR-001/visits/").json()
    assert [v["visit_code"] for v in visits] == ["SCR", "W0", "W2", "W4", "W6", "W8", "W12"]
    assert visits[2] == {
        "visit_code": "W2",
        "version": 1,
        "visitnum": 2,
        "target_date": "2024-01-24",
        "window_start": "2024-01-21",
        "window_end": "2024-01-27",
        "actual_date": None,
        "status": "scheduled",
        "study_day": None,
        "not_done_reason": "",
        "deviation_reason": "",
    }


def test_register_bad_input_400_nothing_saved(coordinator):
    client = api(coordinator)
    bad = {**REGISTRATION, "initials": "ab", "date_of_birth": "2030-01-01", "consent_date": "2024-02-01"}
    response = client.post(BASE, bad, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"initials", "date_of_birth", "consent_date"}
    assert (
        client.post(BASE, {**REGISTRATION, "sex": "X", "date_of_birth": "17/05/1980"}, format="json").status_code == 400
    )
    assert not Participant.objects.exists()


def test_screening_bad_input_400_nothing_saved(coordinator):
    p = register(coordinator)
    client = api(coordinator)
    url = f"{BASE}{p.screening_number}/screening/"
    response = client.put(
        url,
        screening_json(screening_date="2024-01-01", planned_day1_date="2024-02-20", weight_kg="25.0"),
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) >= {"screening_date", "weight_kg"} or set(response.json()) >= {"screening_date"}
    response = client.put(url, screening_json(planned_day1_date="2024-02-20"), format="json")
    assert response.json() == {"planned_day1_date": ["Planned Day 1 must be at most 28 days after the screening date."]}
    response = client.put(url, screening_json(weight_kg="250.0"), format="json")
    assert response.status_code == 400 and "weight_kg" in response.json()
    assert not Screening.objects.exists()
    assert not Visit.objects.exists()


def test_screening_change_needs_reason(coordinator):
    p = screened(coordinator)
    url = f"{BASE}{p.screening_number}/screening/"
    client = api(coordinator)
    response = client.put(url, screening_json(weight_kg="70.0"), format="json", **read_etag(client, url))
    assert response.status_code == 400
    assert "reason_for_change" in response.json()
    response = client.put(
        url, screening_json(weight_kg="70.0", reason_for_change="Scale error"), format="json", **read_etag(client, url)
    )
    assert response.status_code == 200
    screening = Screening.objects.get()
    assert str(screening.weight_kg) == "70.0"
    assert screening.history.order_by("-history_id").first().history_change_reason == "Scale error"


def test_patch_participant_needs_reason(coordinator):
    p = register(coordinator)
    url = f"{BASE}{p.screening_number}/"
    client = api(coordinator)
    assert client.patch(url, {"initials": "AC"}, format="json", **read_etag(client, url)).json() == {
        "reason_for_change": ["A reason for change is required to change data that has already been saved."]
    }
    assert Participant.objects.get().initials == "AB"
    response = client.patch(
        url, {"initials": "AC", "reason_for_change": "Typo"}, format="json", **read_etag(client, url)
    )
    assert response.status_code == 200
    assert response.json()["initials"] == "AC"


def test_enroll_past_target_400_then_data_manager_raises(coordinator, investigator, data_manager, administrator):
    client = api(data_manager)
    study = "/api/v1/study/"
    response = client.patch(study, {"enrollment_target": 1}, format="json", **read_etag(client, study))
    assert response.status_code == 400 and "reason_for_change" in response.json()
    response = client.patch(
        study, {"enrollment_target": 1, "reason_for_change": "Pilot"}, format="json", **read_etag(client, study)
    )
    assert response.status_code == 400  # a data manager raises the target, never lowers it
    admin = api(administrator)
    response = admin.patch(
        study, {"enrollment_target": 1, "reason_for_change": "Pilot"}, format="json", **read_etag(admin, study)
    )
    assert response.status_code == 200 and response.json()["version"] == 2
    refused = client.patch(study, {"pasi_threshold": "8.0", "reason_for_change": "x"}, **read_etag(client, study))
    assert refused.status_code == 400
    enrolled(coordinator, investigator, PASSWORD)
    second = signed_off(coordinator, investigator, PASSWORD)
    response = api(coordinator).post(f"{BASE}{second.screening_number}/enroll/")
    assert response.status_code == 400 and "enrollment_target" in response.json()
    client.patch(
        study, {"enrollment_target": 2, "reason_for_change": "DMC approval"}, format="json", **read_etag(client, study)
    )
    assert api(coordinator).post(f"{BASE}{second.screening_number}/enroll/").json()["subject_id"] == "002"


def test_admin_changes_any_configuration_value(administrator):
    client = api(administrator)
    response = client.patch(
        "/api/v1/study/",
        {"pasi_threshold": "8.0", "reason_for_change": "Protocol amendment 2"},
        format="json",
        **read_etag(client, "/api/v1/study/"),
    )
    assert response.status_code == 200
    assert response.json()["pasi_threshold"] == "8.0"
    assert [v["code"] for v in response.json()["visit_schedule"]] == ["SCR", "W0", "W2", "W4", "W6", "W8", "W12"]


def test_visit_patch_refusals_and_record(coordinator, investigator):
    p = enrolled(coordinator, investigator, PASSWORD)
    url = f"{BASE}{p.screening_number}/visits/W0/"
    client = api(coordinator)
    assert client.patch(url, {"actual_date": "2024-01-09"}, format="json", **read_etag(client, url)).json() == {
        "actual_date": ["Actual date cannot be in the future."]
    }
    response = client.patch(url, {"actual_date": "2024-01-07"}, format="json", **read_etag(client, url))
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["study_day"]) == ("done", 1)
    w2 = client.get(f"{BASE}{p.screening_number}/visits/").json()[2]
    assert (w2["target_date"], w2["window_start"], w2["window_end"], w2["study_day"]) == (
        "2024-01-21",
        "2024-01-18",
        "2024-01-24",
        15,
    )
    response = client.patch(url, {"actual_date": "2024-01-06"}, format="json", **read_etag(client, url))
    assert "reason_for_change" in response.json()
    assert Visit.objects.get(participant=p, visit_code="W0").actual_date == date(2024, 1, 7)


def test_withdraw_through_api(coordinator, investigator):
    p = enrolled(coordinator, investigator, PASSWORD)
    url = f"{BASE}{p.screening_number}/withdraw/"
    assert set(api(coordinator).post(url, {}, format="json").json()) == {"withdrawal_date", "withdrawal_reason"}
    response = api(coordinator).post(
        url, {"withdrawal_date": "2024-01-08", "withdrawal_reason": "Moved"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"


def test_list_filters_and_query_count(coordinator, investigator, django_assert_max_num_queries):
    enrolled(coordinator, investigator, PASSWORD)
    screened(coordinator, active_infection=True)
    register(coordinator, initials="XYZ")
    register(coordinator, initials="QR")
    client = api(coordinator)
    with django_assert_max_num_queries(7):
        response = client.get(BASE)
    body = response.json()
    assert body["count"] == 4
    assert [r["status"] for r in body["results"]] == ["enrolled", "screen_failed", "screening", "screening"]
    assert [r["screening_number"] for r in client.get(BASE, {"status": "screen_failed"}).json()["results"]] == [
        "SCR-002"
    ]
    assert [r["screening_number"] for r in client.get(BASE, {"search": "xyz"}).json()["results"]] == ["SCR-003"]
    assert [r["screening_number"] for r in client.get(BASE, {"search": "001"}).json()["results"]] == ["SCR-001"]
    assert client.get(BASE, {"status": "nonsense"}).status_code == 400


def test_schema_documents_the_endpoints(administrator):
    response = api(administrator).get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    signoff = paths["/api/v1/participants/{screening_number}/signoff/"]["post"]
    assert {"200", "400", "401", "403", "404"} <= set(signoff["responses"])
    assert "patch" in paths["/api/v1/study/"]
