"""Two-factor login: enrolment with a QR code and backup codes, the second step, the lockout, signing
with the code, the administrator's reset; required for signing/exporting roles when REQUIRE_2FA is on."""

from datetime import date

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from subjects.models import ParticipantStatus
from tests import factories
from tests.conftest import PASSWORD, logged_in
from trialsite.audit import audited_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def required(settings):
    settings.REQUIRE_2FA = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def code(device: TOTPDevice) -> str:
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"


def login(client: Client, username: str, password: str = PASSWORD):
    return client.post("/accounts/login/", {"username": username, "password": password, "next": "/participants/"})


def enrolled_device(client: Client) -> tuple[TOTPDevice, list[str]]:
    page = client.get("/accounts/two-factor/")
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(confirmed=False)
    wrong = client.post("/accounts/two-factor/", {"token": "000000" if code(device) != "000000" else "111111"})
    assert "The code is not correct." in wrong.content.decode()
    done = client.post("/accounts/two-factor/", {"token": code(device), "next": "/participants/"})
    assert done.status_code == 200
    codes = [token.token for token in StaticToken.objects.filter(device__user=device.user)]
    assert len(codes) == 10 and all(c in done.content.decode() for c in codes)
    device.refresh_from_db()
    assert device.confirmed
    return device, codes


def test_an_investigator_must_enrol_then_logs_in_with_the_code(required, investigator, coordinator):
    client = Client()
    response = login(client, "ivan")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/two-factor/?next=")
    blocked = client.get("/participants/")  # every page waits for the second factor
    assert blocked.status_code == 302 and blocked["Location"].startswith("/accounts/two-factor/")
    device, codes = enrolled_device(client)
    assert client.get("/participants/").status_code == 200
    client.post("/accounts/logout/")
    # Next login: password, then the code (here a backup code; each works once).
    client = Client()
    response = login(client, "ivan")
    assert response["Location"].startswith("/accounts/two-factor/verify/")
    assert client.get("/participants/").status_code == 302
    assert "not correct" in client.post("/accounts/two-factor/verify/", {"token": "nope"}).content.decode()
    verified = client.post("/accounts/two-factor/verify/", {"token": codes[0], "next": "/participants/"})
    assert verified.status_code == 302 and verified["Location"] == "/participants/"
    assert client.get("/participants/").status_code == 200
    again = Client()
    login(again, "ivan")
    assert "not correct" in again.post("/accounts/two-factor/verify/", {"token": codes[0]}).content.decode()


def test_a_coordinator_is_not_asked_and_nobody_is_when_it_is_off(settings, required, coordinator, investigator):
    client = Client()
    assert login(client, "alice")["Location"] == "/participants/"
    settings.REQUIRE_2FA = False
    client = Client()
    assert login(client, "ivan")["Location"] == "/participants/"


def test_the_password_lockout_still_counts_before_the_second_step(required, investigator):
    client = Client()
    for _ in range(5):
        login(client, "ivan", "guess")
    assert login(client, "ivan").status_code == 429


def test_signing_asks_for_the_code_once_a_device_is_enrolled(required, coordinator, investigator):
    client = Client()
    login(client, "ivan")
    device, codes = enrolled_device(client)
    participant = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
    participant.status = ParticipantStatus.COMPLETED
    audited_save(participant, user=coordinator, reason="Completed")
    url = f"/api/v1/participants/{participant.screening_number}/signatures/"
    api = APIClient()
    api.force_authenticate(investigator)  # an API token: no second step for the request itself
    body = {"meaning": "casebook_approval", "password": PASSWORD}
    refused = api.post(url, body, format="json")
    assert refused.status_code == 400 and "otp" in refused.json()
    assert api.post(url, {**body, "otp": "123"}, format="json").json()["otp"] == ["The code is not correct."]
    assert api.post(url, {**body, "otp": codes[1]}, format="json").status_code == 201


def test_an_administrator_resets_a_device_and_it_is_logged(required, investigator, administrator, coordinator):
    client = Client()
    login(client, "ivan")
    enrolled_device(client)
    url = f"/accounts/two-factor/reset/{investigator.username}/"
    assert logged_in(coordinator).post(url).status_code == 403
    response = logged_in(administrator).post(url)
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=investigator).exists()
    entry = LogEntry.objects.get(object_id=str(investigator.pk))
    assert entry.user == administrator and "Two-factor devices reset (2 removed)" in entry.change_message
    client = Client()
    assert login(client, "ivan")["Location"].startswith("/accounts/two-factor/?next=")  # enrols again


def test_the_admin_action_resets_devices_too(required, investigator, administrator):
    client = Client()
    login(client, "ivan")
    enrolled_device(client)
    response = logged_in(administrator).post(
        "/admin/auth/user/", {"action": "reset_two_factor", "_selected_action": [investigator.pk]}
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=investigator).exists()
    assert LogEntry.objects.filter(object_id=str(investigator.pk), change_message__startswith="Two-factor").exists()
