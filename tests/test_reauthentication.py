"""Every password re-entry (the eligibility sign-off) goes through django-axes exactly like the login:
failures are counted, the 5th locks the account (logins refused too) and the response says so."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from rest_framework.test import APIClient

from subjects import services
from tests.conftest import PASSWORD, logged_in
from tests.html_forms import form_values
from tests.subjects_helpers import screened, signoff_of
from trialsite.reauth import LOCKED_MESSAGE, check_password_again

SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_today():
    with time_machine.travel(datetime(2024, 1, 8, 10, 0, tzinfo=SHANGHAI), tick=False):
        yield


def failures(username: str) -> int:
    return sum(attempt.failures_since_start for attempt in AccessAttempt.objects.filter(username=username))


def test_wrong_sign_off_passwords_lock_the_account_on_the_fifth(client, coordinator, investigator):
    participant = screened(coordinator)
    browser = logged_in(investigator)
    url = f"/participants/{participant.screening_number}/signoff/"
    form = form_values(browser.get(url))
    for attempt in range(1, 5):
        response = browser.post(url, {**form, "password": "guess"})
        assert response.status_code == 200
        assert "The password is not correct." in response.content.decode()
        assert failures("ivan") == attempt
    response = browser.post(url, {**form, "password": "guess"})
    assert "locked" in response.content.decode().lower()
    assert failures("ivan") == 5
    # Locked: the right password no longer signs, and the login is refused too.
    response = browser.post(url, {**form, "password": PASSWORD})
    assert "locked" in response.content.decode().lower()
    assert signoff_of(participant) is None
    response = client.post("/accounts/login/", {"username": "ivan", "password": PASSWORD})
    assert response.status_code == 429 and b"Account locked" in response.content


def test_api_sign_off_counts_failures_and_says_when_locked(coordinator, investigator):
    participant = screened(coordinator)
    api = APIClient()
    api.force_authenticate(investigator)
    url = f"/api/v1/participants/{participant.screening_number}/signoff/"
    for _ in range(4):
        response = api.post(url, {"password": "guess"}, format="json")
        assert response.status_code == 400 and response.json()["password"] == ["The password is not correct."]
    response = api.post(url, {"password": "guess"}, format="json")
    assert response.status_code == 400
    assert "locked" in response.json()["password"][0].lower()
    assert failures("ivan") == 5
    response = api.post(url, {"password": PASSWORD}, format="json")
    assert response.status_code == 400 and "locked" in response.json()["password"][0].lower()


def test_the_right_password_signs_and_resets_the_count(coordinator, investigator):
    participant = screened(coordinator)
    browser = logged_in(investigator)
    url = f"/participants/{participant.screening_number}/signoff/"
    form = form_values(browser.get(url))
    for _ in range(3):
        browser.post(url, {**form, "password": "guess"})
    response = browser.post(url, {**form, "password": PASSWORD})
    assert response.status_code == 302
    assert signoff_of(participant).signer == investigator
    assert failures("ivan") == 0


def test_the_shared_helper(investigator):
    request = RequestFactory().post("/")
    check_password_again(request, investigator, PASSWORD)
    for _ in range(4):
        with pytest.raises(ValidationError) as error:
            check_password_again(request, investigator, "nope")
        assert error.value.message_dict["password"] == ["The password is not correct."]
    with pytest.raises(ValidationError) as error:
        check_password_again(request, investigator, "nope")
    assert error.value.message_dict["password"] == [LOCKED_MESSAGE]


def test_the_service_itself_goes_through_the_lockout(coordinator, investigator):
    participant = screened(coordinator)
    request = RequestFactory().post("/")
    for _ in range(5):
        with pytest.raises(ValidationError):
            services.eligibility_signoff(
                participant=participant, investigator=investigator, password="guess", request=request
            )
    assert failures("ivan") == 5
