"""Laboratory results REST API: derived fields read-only, refusals as 400, PATCH with If-Match and a
reason, roles, constant queries."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.test import APIClient

from labs.models import LabResult
from tests import factories

TZ = ZoneInfo("Asia/Shanghai")
URL = "/api/v1/lab-results/"

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
def woman(coordinator):
    return factories.enrolled_participant(coordinator, sex="F", planned_day1=date(2024, 1, 10), day1=date(2024, 1, 10))


def result(who, test_code="ALT", value="128", **overrides) -> dict:
    data = {
        "participant": who.screening_number,
        "visit_code": "W4",
        "collected_at": "2024-02-07T08:00:00+08:00",
        "test_code": test_code,
        "value": value,
    }
    data.update(overrides)
    return data


def test_post_derives_flag_and_grade(woman, coordinator):
    response = api(coordinator).post(URL, result(woman), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["flag"], body["ctcae_grade"], body["prompts_ae"], body["uln"]) == ("HIGH", 2, True, "40.0000")
    assert response["ETag"] == '"1"'
    second = api(coordinator).post(URL, result(woman, "BILI", "2.0", unit="mg/dL"), format="json")
    assert second.json()["value_standard"] == "34.200000"
    assert LabResult.objects.filter(panel__visit_code="W4").values("panel").distinct().count() == 1


def test_refusals_are_400(woman, coordinator):
    client = api(coordinator)
    assert client.post(URL, result(woman, unit="mg/dL"), format="json").status_code == 400
    assert client.post(URL, result(woman, value="-1"), format="json").status_code == 400
    assert client.post(URL, result(woman, visit_code="W2"), format="json").status_code == 400
    client.post(URL, result(woman, "AST", "20"), format="json")
    other_time = client.post(URL, result(woman, collected_at="2024-02-08T08:00:00+08:00"), format="json")
    assert other_time.status_code == 400


def test_patch_needs_if_match_and_reason(woman, coordinator):
    client = api(coordinator)
    pk = client.post(URL, result(woman), format="json").json()["id"]
    assert client.patch(f"{URL}{pk}/", {"value": "30"}, format="json").status_code == 428
    no_reason = client.patch(f"{URL}{pk}/", {"value": "30"}, format="json", HTTP_IF_MATCH='"1"')
    assert no_reason.status_code == 400
    stale = client.patch(
        f"{URL}{pk}/", {"value": "30", "reason_for_change": "typo"}, format="json", HTTP_IF_MATCH='"7"'
    )
    assert stale.status_code == 412
    ok = client.patch(f"{URL}{pk}/", {"value": "30", "reason_for_change": "typo"}, format="json", HTTP_IF_MATCH='"1"')
    assert ok.status_code == 200, ok.json()
    assert (ok.json()["ctcae_grade"], ok.json()["flag"], ok["ETag"]) == (0, "NORMAL", '"2"')
    read_only = client.patch(
        f"{URL}{pk}/", {"flag": "LOW", "reason_for_change": "x"}, format="json", HTTP_IF_MATCH='"2"'
    )
    assert read_only.status_code == 400


def test_roles(woman, coordinator, dmc_reviewer, data_manager, api_client_user):
    assert api().get(URL).status_code == 401
    assert api(dmc_reviewer).get(URL).status_code == 403
    assert api(data_manager).get(URL).status_code == 200
    assert api(data_manager).post(URL, result(woman), format="json").status_code == 403
    assert api(api_client_user).get(URL).status_code == 200


def test_list_queries_are_constant(woman, coordinator, data_manager, django_assert_max_num_queries):
    client = api(coordinator)
    for code, value in (("ALT", "30"), ("AST", "30"), ("HGB", "130"), ("PLAT", "200")):
        client.post(URL, result(woman, code, value), format="json")
    with django_assert_max_num_queries(6):
        response = api(data_manager).get(URL, {"participant": woman.screening_number, "min_grade": 0})
    assert len(response.json()["results"] if isinstance(response.json(), dict) else response.json()) == 4
