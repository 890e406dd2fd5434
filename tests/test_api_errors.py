"""The API answers every error in JSON: unknown paths 404, unsupported methods 405 with Allow, an
oversized body 413, an over-long reason for change 400, and while PostgreSQL is down 503 with
Retry-After (pages: a short 503 page). Never HTML, never a 500."""

import socket
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from tests import factories
from trialsite.account_views import issue_token
from trialsite.audit import REASON_MAX_LENGTH

pytestmark = pytest.mark.django_db


def api(user=None) -> APIClient:
    client = APIClient(raise_request_exception=False)
    if user is not None:
        client.force_authenticate(user)
    return client


def is_json_error(response, status: int) -> bool:
    return (
        response.status_code == status
        and response["Content-Type"].startswith("application/json")
        and isinstance(response.json().get("detail"), str)
    )


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/api/v1/no-such-thing/"),
        ("get", "/api/v1/participants/SCR-001/no-such-thing/"),
        ("post", "/api/v1/reminders/0.5/acknowledge/"),
        ("get", "/api/v1"),
    ],
)
def test_unknown_api_paths_are_json_404(coordinator, method, path):
    response = getattr(api(coordinator), method)(path)
    assert is_json_error(response, 404), (path, response.status_code, response.content[:80])


def test_unknown_api_path_is_json_404_without_credentials_too(db):
    assert is_json_error(Client().get("/api/v1/no-such-thing/"), 404)


@pytest.mark.parametrize(
    "method,path,allowed",
    [
        ("put", "/api/v1/participants/SCR-001/", {"GET", "PATCH"}),
        ("delete", "/api/v1/participants/SCR-001/", {"GET", "PATCH"}),
        ("delete", "/api/v1/adverse-events/1/", {"GET", "PATCH"}),
        ("put", "/api/v1/study/", {"GET", "PATCH"}),
        ("post", "/api/v1/data-dictionary/", {"GET"}),
        ("delete", "/api/v1/safety-holds/1/", {"GET"}),
    ],
)
@pytest.mark.parametrize("persona", ["coordinator", "dmc_reviewer"])
def test_unsupported_methods_are_405_with_allow(personas, persona, method, path, allowed):
    factories.enrolled_participant(personas["coordinator"], day1=date(2024, 1, 10))
    response = getattr(api(personas[persona]), method)(path, {}, format="json")
    assert is_json_error(response, 405), (path, response.status_code)
    assert allowed <= {m.strip() for m in response["Allow"].split(",")}
    assert method.upper() not in response["Allow"]


def test_anonymous_unsupported_method_is_still_401(db):
    assert api().delete("/api/v1/participants/SCR-001/").status_code == 401


def test_a_10_mb_body_is_json_413(coordinator):
    body = b'{"term": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    response = api(coordinator).generic("POST", "/api/v1/adverse-events/", body, content_type="application/json")
    assert is_json_error(response, 413)


def test_reason_for_change_is_capped(coordinator):
    participant = factories.participant(coordinator)
    url = f"/api/v1/participants/{participant.screening_number}/"
    if_match = {"HTTP_IF_MATCH": api(coordinator).get(url)["ETag"]}
    too_long = api(coordinator).patch(
        url, {"initials": "QQ", "reason_for_change": "x" * (REASON_MAX_LENGTH + 1)}, format="json", **if_match
    )
    assert too_long.status_code == 400 and "reason_for_change" in too_long.json()
    participant.refresh_from_db()
    assert participant.initials == "AB"
    fits = api(coordinator).patch(
        url, {"initials": "QQ", "reason_for_change": "y" * REASON_MAX_LENGTH}, format="json", **if_match
    )
    assert fits.status_code == 200


def test_query_texts_and_lock_reasons_are_capped_too(coordinator, data_manager):
    """A query's text and answer and a lock's reason become the reason of a history row: capped like
    reason_for_change (the page forms already were)."""
    from datamanagement.models import Lock, Query

    participant = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
    pasi = factories.pasi_assessment(participant, "W0", "12.0", coordinator)
    too_long, fits = "x" * (REASON_MAX_LENGTH + 1), "y" * REASON_MAX_LENGTH
    raise_query = {"record_type": "pasi_assessment", "record_id": pasi.pk}
    refused = api(data_manager).post("/api/v1/queries/", {**raise_query, "text": too_long}, format="json")
    assert refused.status_code == 400 and not Query.objects.exists()
    created = api(data_manager).post("/api/v1/queries/", {**raise_query, "text": fits}, format="json")
    assert created.status_code == 201
    answer = f"/api/v1/queries/{created.json()['id']}/answer/"
    assert api(coordinator).post(answer, {"text": too_long}, format="json").status_code == 400
    assert Query.objects.get().state == "open"
    lock = f"/api/v1/participants/{participant.screening_number}/visits/W0/lock/"
    assert api(data_manager).post(lock, {"reason": too_long}, format="json").status_code == 400
    assert not Lock.objects.exists()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the probe is closed


@pytest.mark.django_db(transaction=True)
def test_while_postgresql_is_down_the_api_is_json_503_and_pages_a_503_page(require_postgres, coordinator):
    _token, key = issue_token(user=coordinator, name="outage", expires_in_days=1)
    browser = Client(raise_request_exception=False)
    browser.force_login(coordinator)
    settings_dict = connection.settings_dict
    kept = (settings_dict["HOST"], settings_dict["PORT"])
    connection.close()
    settings_dict["HOST"], settings_dict["PORT"] = "127.0.0.1", closed_port()  # the server is unreachable
    try:
        response = Client(raise_request_exception=False).get("/api/v1/participants/", HTTP_AUTHORIZATION=f"Token {key}")
        page = browser.get("/participants/")
        health = Client(raise_request_exception=False).get("/healthz")
    finally:
        connection.close()
        settings_dict["HOST"], settings_dict["PORT"] = kept
    assert is_json_error(response, 503) and int(response["Retry-After"]) > 0
    assert page.status_code == 503 and page["Retry-After"] and b"Temporarily unavailable" in page.content
    assert page["Content-Type"].startswith("text/html")
    assert health.status_code == 503 and health.json()["database"] == "down"
