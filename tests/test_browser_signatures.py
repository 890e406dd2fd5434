"""Acceptance in a real Chromium: an investigator enrols an authenticator, logs in with it and signs a
completed participant's casebook; a coordinator corrects a value with a reason; the signature shows
as invalidated; the investigator signs again."""

import base64
import time
from datetime import date
from urllib.parse import parse_qs, urlparse

import pytest
from django_otp.oath import TOTP

from safety.services import adverse_event_record
from subjects.models import ParticipantStatus
from tests import factories
from tests.conftest import PASSWORD
from trialsite.audit import audited_save

pytestmark = pytest.mark.browser


def code(key: bytes, steps_ahead: int = 0) -> str:
    totp = TOTP(key)
    totp.time = time.time() + 30 * steps_ahead  # each code is used once: the next step's (within tolerance)
    return f"{totp.token():06d}"


def login(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_enrol_log_in_sign_invalidate_sign_again(page, settings, transactional_db, coordinator, investigator):
    settings.REQUIRE_2FA = True
    participant = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
    ae = adverse_event_record(
        participant=participant, user=coordinator, term="Headache", onset_date=date(2024, 1, 12),
        end_date=date(2024, 1, 13), ongoing=False, grade=1, serious=False, relationship="unlikely",
        expected=True, action_taken="dose_not_changed", outcome="recovered",
    )  # fmt: skip
    participant.status = ParticipantStatus.COMPLETED
    audited_save(participant, user=coordinator, reason="Completed the study")

    # Enrolment, required for an investigator at the first login.
    login(page, "ivan")
    page.wait_for_url(lambda url: "/accounts/two-factor/" in url and "verify" not in url)
    assert page.locator("#two-factor-enrol svg").count() == 1
    uri = page.locator("#totp-uri").text_content()
    secret = parse_qs(urlparse(uri).query)["secret"][0]
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.get_by_label("Code").fill(code(key))
    page.get_by_role("button", name="Confirm").click()
    backup = page.locator("#backup-codes code").all_text_contents()
    assert len(backup) == 10
    page.get_by_role("button", name="Log out").click()

    # Login with the authenticator, then the casebook signature.
    login(page, "ivan")
    page.wait_for_url(lambda url: "/accounts/two-factor/verify/" in url)
    page.get_by_label("Code").fill(code(key, steps_ahead=1))
    page.get_by_role("button", name="Verify").click()
    page.goto(f"/participants/{participant.screening_number}/")
    page.locator("#sign-casebook").click()
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("Authenticator code").fill(backup[0])
    page.get_by_role("button", name="Sign: I approve this casebook as complete and accurate").click()
    page.wait_for_url(f"**/participants/{participant.screening_number}/")
    casebook = page.locator("#signatures tr", has_text="I approve this casebook")
    assert casebook.get_attribute("data-state") == "valid"
    page.get_by_role("button", name="Log out").click()

    # A coordinator corrects a value with a reason.
    login(page, "alice")
    page.goto(f"/safety/adverse-events/{ae.pk}/edit/")
    page.locator("[name=term]").fill("Tension headache")
    page.locator("[name=reason_for_change]").fill("Source document: tension headache")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(f"**/safety/adverse-events/{ae.pk}/")
    page.get_by_role("button", name="Log out").click()

    # The investigator sees the signature invalidated, and signs again.
    login(page, "ivan")
    page.get_by_label("Code").fill(backup[1])
    page.get_by_role("button", name="Verify").click()
    page.goto(f"/participants/{participant.screening_number}/")
    invalidated = page.locator('#signatures tr[data-state="invalidated"]', has_text="I approve this casebook")
    assert "Signature invalidated by the change of adverse event" in invalidated.inner_text()
    page.goto("/signatures/awaiting/")
    page.locator(".awaiting-casebook_approval a", has_text="Sign").click()
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("Authenticator code").fill(backup[2])
    page.get_by_role("button", name="Sign: I approve this casebook as complete and accurate").click()
    page.wait_for_url(f"**/participants/{participant.screening_number}/")
    states = page.locator("#signatures tr", has_text="I approve this casebook")
    assert [states.nth(i).get_attribute("data-state") for i in range(states.count())] == ["invalidated", "valid"]
