"""The small findings of the coordinator's walk-through: enrolment confirmation (and no bare 405), the
favicon, the token form's errors beside their field, one line per refused request in the log."""

import logging

import pytest
from django.contrib.staticfiles import finders

from tests.conftest import PASSWORD, logged_in
from tests.subjects_helpers import signed_off
from trialsite.errors import ShortClientErrors

pytestmark = pytest.mark.django_db


def test_enrolment_asks_for_confirmation(coordinator, investigator):
    participant = signed_off(coordinator, investigator, PASSWORD)
    client = logged_in(coordinator)
    detail = client.get(f"/participants/{participant.screening_number}/").content.decode()
    assert f'href="/participants/{participant.screening_number}/enroll/"' in detail
    page = client.get(f"/participants/{participant.screening_number}/enroll/")
    assert page.status_code == 200 and "Confirm enrolment" in page.content.decode()
    participant.refresh_from_db()
    assert participant.subject_id is None  # a GET changes nothing
    client.post(f"/participants/{participant.screening_number}/enroll/")
    participant.refresh_from_db()
    assert participant.subject_id


def test_favicon_is_served_and_linked(coordinator):
    assert finders.find("favicon.svg")
    assert 'rel="icon"' in logged_in(coordinator).get("/?overview").content.decode()


def test_token_expiry_error_is_beside_its_field(coordinator):
    html = logged_in(coordinator).post("/accounts/profile/", {"name": "nightly", "expires_in_days": "0"}).content
    html = html.decode()
    assert 'id="expires_in_days_errors"' in html and 'id="name_errors"' not in html


def test_refused_requests_log_one_line():
    record = logging.LogRecord("django.request", logging.WARNING, "", 0, "Forbidden", (), (ValueError, None, None))
    record.status_code = 403
    assert ShortClientErrors().filter(record) and record.exc_info is None
    failure = logging.LogRecord("django.request", logging.ERROR, "", 0, "Error", (), (ValueError, None, None))
    failure.status_code = 500
    assert ShortClientErrors().filter(failure) and failure.exc_info is not None


def test_api_docs_need_a_login(client, coordinator):
    assert client.get("/api/docs/").status_code in (302, 401)
    assert logged_in(coordinator).get("/api/docs/").status_code == 200
