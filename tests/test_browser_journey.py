"""The coordinator's journey in a real browser at a 390 px phone and at 1366 px: register → screen →
sign-off → enrol → W0 vitals, PASI, infusion (save and next form) → AE → correction of the saved PASI and
AE. No page scrolls sideways, no saved date comes back blank."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from safety.models import AdverseEvent
from subjects import services
from subjects.models import Participant
from tests.conftest import PASSWORD, browser_login
from tests.subjects_helpers import signoff_request
from tests.test_browser_dosing import fill_region
from tests.test_browser_layout import LAPTOP, OVERFLOW, PHONE
from tests.test_browser_subjects import EXCLUSIONS


def no_sideways_scrolling(page) -> None:
    page.wait_for_load_state()
    result = page.evaluate(OVERFLOW)
    assert result["page"], (page.url, result)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, available_apps=list(settings.INSTALLED_APPS))
@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["390px", "1366px"])
def test_coordinator_journey(browser, live_server, coordinator, investigator, viewport):
    now = timezone.localtime()
    day = now.date() if now.hour >= 11 else now.date() - timedelta(days=1)  # 08:00–10:00 in the past
    context = browser.new_context(base_url=live_server.url, viewport=viewport)
    context.set_default_timeout(15_000)
    page = context.new_page()
    browser_login(page, "alice")
    no_sideways_scrolling(page)

    page.goto("/participants/register/")
    page.get_by_label("Initials").fill("ZLW")
    page.get_by_label("Sex").select_option("F")
    page.get_by_label("Date of birth").fill("1979-04-12")
    page.get_by_label("Informed consent date").fill(f"{day - timedelta(days=10):%Y-%m-%d}")
    page.get_by_label("Consent version").fill("1.0")
    no_sideways_scrolling(page)
    page.get_by_role("button", name="Register").click()
    page.wait_for_url("**/participants/SCR-001/screening/")

    page.get_by_label("Screening date").fill(f"{day - timedelta(days=5):%Y-%m-%d}")
    page.get_by_label("Planned Day 1").fill(f"{day:%Y-%m-%d}")
    page.get_by_label("Weight (kg)").fill("63.5")
    page.get_by_label("Height (cm)").fill("168.0")
    page.get_by_label("BSA (%)").fill("15.0")
    for key in EXCLUSIONS:
        page.check(f"#id_{key}_1")
    no_sideways_scrolling(page)
    page.get_by_role("button", name="Save screening").click()
    page.wait_for_url("**/participants/SCR-001/#visit-SCR")
    no_sideways_scrolling(page)

    page.goto("/assessments/SCR-001/SCR/pasi/")
    page.fill("#id_assessment_date", f"{day - timedelta(days=5):%Y-%m-%d}")
    for region in ("head", "upper_limbs", "trunk", "lower_limbs"):
        fill_region(page, region)
    expect(page.locator("#pasi-total")).to_have_text("14.0")
    no_sideways_scrolling(page)
    page.get_by_role("button", name="Save PASI").click()
    page.wait_for_url("**/participants/SCR-001/#visit-SCR")

    services.eligibility_signoff(
        participant=Participant.objects.get(), investigator=investigator, password=PASSWORD, request=signoff_request()
    )
    page.goto("/participants/SCR-001/")
    page.get_by_role("link", name="Enroll participant…").click()
    no_sideways_scrolling(page)
    page.get_by_role("button", name="Confirm enrolment").click()
    expect(page.get_by_text("Enrolled as S2018-11-001.")).to_be_visible()
    no_sideways_scrolling(page)

    page.goto("/dosing/SCR-001/W0/vitals/")
    page.select_option("#id_timepoint", "pre_infusion")
    page.fill("#id_measured_at", f"{day:%Y-%m-%d}T08:00")
    page.fill("#id_weight_kg", "63.5")
    no_sideways_scrolling(page)
    page.get_by_role("button", name="Save and next form: PASI").click()
    page.wait_for_url("**/assessments/SCR-001/W0/pasi/")
    page.fill("#id_assessment_date", f"{day:%Y-%m-%d}")
    for region in ("head", "upper_limbs", "trunk", "lower_limbs"):
        fill_region(page, region)
    no_sideways_scrolling(page)
    page.get_by_role("button", name="Save and next form: Infusion").click()
    page.wait_for_url("**/dosing/SCR-001/W0/infusion/")
    page.fill("#id_product_lot", "UC-2024-007")
    page.fill("#id_viability_percent", "92.5")
    page.fill("#id_administered_cells", "127.0")
    expect(page.locator("#dose-check")).to_have_attribute("data-state", "ok")
    page.fill("#id_thaw_time", f"{day:%Y-%m-%d}T08:30")
    page.fill("#id_start_time", f"{day:%Y-%m-%d}T09:00")
    page.fill("#id_end_time", f"{day:%Y-%m-%d}T10:00")
    page.fill("#id_volume_ml", "100")
    no_sideways_scrolling(page)
    page.get_by_role("button", name="Save infusion").click()
    expect(page.get_by_text("Infusion 1 at W0 saved")).to_be_visible()
    no_sideways_scrolling(page)

    participant = Participant.objects.get()
    page.goto(f"/safety/participants/{participant.pk}/adverse-events/new/")
    page.fill("#id_term", "Headache")
    page.fill("#id_onset_date", f"{day:%Y-%m-%d}")
    page.select_option("#id_grade", "1")
    page.select_option("#id_relationship", "unlikely")
    page.select_option("#id_expected", "True")
    page.select_option("#id_action_taken", "dose_not_changed")
    page.select_option("#id_outcome", "recovering")
    page.check("#id_ongoing")
    no_sideways_scrolling(page)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    assert page.locator("#error-summary").count() == 0, page.locator("#error-summary").inner_text()
    expect(page.get_by_text("AE 1 recorded")).to_be_visible()
    no_sideways_scrolling(page)

    page.goto("/assessments/SCR-001/W0/pasi/")
    expect(page.locator("#id_assessment_date")).to_have_value(f"{day:%Y-%m-%d}")
    page.fill("#id_bsa_percent", "14.0")
    page.fill("#id_reason_for_change", "Transcription error")
    page.get_by_role("button", name="Save PASI").click()
    expect(page.get_by_text("PASI at W0 saved")).to_be_visible()
    ae = AdverseEvent.objects.get()
    page.goto(f"/safety/adverse-events/{ae.pk}/edit/")
    expect(page.locator("#id_onset_date")).to_have_value(f"{day:%Y-%m-%d}")
    page.fill("#id_term", "Tension headache")
    page.fill("#id_reason_for_change", "Clarified")
    no_sideways_scrolling(page)
    page.locator("main form button[type=submit]").first.click()
    expect(page.get_by_text("AE 1 updated")).to_be_visible()
    ae.refresh_from_db()
    assert (ae.term, ae.onset_date) == ("Tension headache", day)
    context.close()
