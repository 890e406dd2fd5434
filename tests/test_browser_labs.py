"""A coordinator enters a W4 panel with ALT 3.2 × ULN, sees grade 2 and the AE prompt, records the AE from
it; the investigator sees the AE on the safety page."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests import factories
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser]


def test_w4_alt_grade_2_prompts_an_ae_that_the_investigator_sees(page, transactional_db, coordinator, investigator):
    today = timezone.localdate()
    day1 = today - timedelta(days=35)
    participant = factories.enrolled_participant(
        coordinator, sex="F", screening_date=day1 - timedelta(days=7), planned_day1=day1, day1=day1
    )
    sn = participant.screening_number
    w4 = day1 + timedelta(days=28)
    browser_login(page, "alice")

    page.goto(f"/labs/{sn}/panel/")
    page.select_option("#id_visit_code", "W4")
    page.fill("#id_collected_at", f"{w4:%Y-%m-%d}T08:00")
    page.fill("#id_ALT_value", "128")  # female ULN 40 U/L: 3.2 × ULN
    page.fill("#id_AST_value", "30")
    page.get_by_role("button", name="Save panel").click()

    alt = page.locator('#labs-table tr[data-test="ALT"]')
    expect(alt).to_contain_text("128")
    expect(alt.locator('[data-grade="2"]')).to_have_text("G2")
    expect(page.locator('#labs-table tr[data-test="AST"]')).not_to_contain_text("G")
    prompt = page.locator("#lab-ae-prompts")
    expect(prompt).to_contain_text("Alanine aminotransferase at W4 is CTCAE grade 2")
    prompt.get_by_role("link", name="Record as adverse event").click()

    expect(page.locator("#id_term")).to_have_value("Alanine aminotransferase increased")
    expect(page.locator("#id_grade")).to_have_value("2")
    expect(page.locator("#id_onset_date")).to_have_value(f"{w4:%Y-%m-%d}")
    page.check("#id_ongoing")
    page.select_option("#id_relationship", "possible")
    page.select_option("#id_expected", "False")
    page.select_option("#id_action_taken", "dose_not_changed")
    page.select_option("#id_outcome", "not_recovered")
    page.locator("form button[type=submit]").last.click()
    expect(page.get_by_text("AE 1 recorded")).to_be_visible()

    page.context.clear_cookies()
    browser_login(page, "ivan")
    page.goto("/safety/adverse-events/")
    expect(page.locator("body")).to_contain_text("Alanine aminotransferase increased")
