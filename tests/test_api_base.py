"""The API's shared behaviour: paging limits, error shapes, deny by default."""

from tests import factories
from tests.conftest import logged_in


def test_page_past_the_end_is_an_empty_page(coordinator):
    factories.participant(coordinator)
    body = logged_in(coordinator).get("/api/v1/participants/?page=52755524").json()
    assert body["count"] == 1
    assert body["results"] == []
    assert body["next"] is None


def test_huge_and_negative_page_sizes_are_capped(coordinator):
    for _ in range(3):
        factories.participant(coordinator)
    client = logged_in(coordinator)
    assert len(client.get("/api/v1/participants/?page_size=1000000").json()["results"]) == 3
    assert len(client.get("/api/v1/participants/?page_size=-5").json()["results"]) == 3
    assert len(client.get("/api/v1/participants/?page_size=2").json()["results"]) == 2


def test_anonymous_gets_401_with_a_json_body(client, db):
    response = client.get("/api/v1/participants/")
    assert response.status_code == 401
    assert "detail" in response.json()


def test_user_without_role_gets_403(outsider):
    assert logged_in(outsider).get("/api/v1/participants/").status_code == 403


def test_malformed_json_is_a_400(coordinator):
    response = logged_in(coordinator).post("/api/v1/participants/", data="{not json", content_type="application/json")
    assert response.status_code == 400
