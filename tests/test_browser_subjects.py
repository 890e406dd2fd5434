"""A coordinator registers and screens (seeing live eligibility), an investigator signs off in a
second browser, and the coordinator enrolls and sees the schedule."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from playwright.sync_api import expect

from subjects import services
from subjects.models import Participant
from tests.conftest import PASSWORD, browser_login

# Flushing after a transactional test on PostgreSQL needs TRUNCATE ... CASCADE (history tables).
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, available_apps=list(settings.INSTALLED_APPS)),
]

EXCLUSIONS = (
    "pregnant_or_breastfeeding",
    "active_infection",
    "recent_malignancy",
    "prior_stem_cell_therapy",
    "recent_systemic_therapy",
    "recent_trial_participation",
    "severe_organ_disease",
    "product_allergy",
)


def test_register_screen_signoff_enroll(page, live_server, coordinator, investigator):
    today = services.site_today()
    consent, screening_day, planned_day1 = (
        today - timedelta(days=10),
        today - timedelta(days=5),
        today + timedelta(days=5),
    )

    browser_login(page, "alice")
    page.goto("/participants/")
    page.get_by_role("link", name="Register a participant").click()
    page.get_by_label("Initials").fill("zl")  # lower case: refused next to the field
    page.get_by_label("Sex").select_option("F")
    page.get_by_label("Date of birth").fill("1979-04-12")
    page.get_by_label("Informed consent date").fill(f"{consent:%Y-%m-%d}")
    page.get_by_label("Consent version").fill("1.0")
    page.get_by_role("button", name="Register").click()
    expect(page.locator("#initials_errors")).to_contain_text("Initials are 2 to 4 capital letters")
    page.get_by_label("Initials").fill("ZLW")
    page.get_by_role("button", name="Register").click()
    page.wait_for_url("**/participants/SCR-001/screening/")

    page.get_by_label("Screening date").fill(f"{screening_day:%Y-%m-%d}")
    page.get_by_label("Planned Day 1").fill(f"{planned_day1:%Y-%m-%d}")
    page.get_by_label("Weight (kg)").fill("63.5")
    page.get_by_label("Height (cm)").fill("168.0")
    page.get_by_label("BSA (%)").fill("15.0")
    live = page.locator("#eligibility-live")
    expect(live).to_contain_text("Exclusion question not answered: Pregnant or breast-feeding.")
    for key in EXCLUSIONS:
        page.check(f"#id_{key}_1")  # No
    page.check("#id_active_infection_0")  # Yes: excluded, shown live
    expect(live.locator("[data-criterion=exclusion_active_infection]")).to_be_visible()
    expect(live).to_contain_text("Not eligible")
    page.check("#id_active_infection_1")
    expect(live.locator("[data-criterion=exclusion_active_infection]")).to_have_count(0)
    expect(live.locator("li")).to_have_text(["Screening PASI has not been recorded."])
    page.get_by_label("BSA (%)").fill("10.0")  # not above 10 %: severity fails too, live
    expect(live.locator("[data-criterion=inclusion_severity]")).to_be_visible()
    page.get_by_label("BSA (%)").fill("15.0")
    expect(live.locator("[data-criterion=inclusion_severity]")).to_have_count(0)
    page.get_by_role("button", name="Save screening").click()
    page.wait_for_url("**/participants/SCR-001/#visit-SCR")
    expect(page.locator("#next-action")).to_contain_text("Record screening PASI")

    # The screening PASI comes from the assessments app's PASI form; recorded here through its service.
    services.screening_set_pasi(participant=Participant.objects.get(), pasi_total=Decimal("12.4"), user=coordinator)
    page.reload()
    expect(page.locator("#next-action")).to_contain_text("Awaiting investigator sign-off")
    expect(page.get_by_role("link", name="Sign off eligibility")).to_have_count(0)  # coordinator cannot

    investigator_context = page.context.browser.new_context(base_url=live_server.url)
    investigator_page = investigator_context.new_page()
    try:
        browser_login(investigator_page, "ivan")
        investigator_page.goto("/participants/SCR-001/")
        investigator_page.get_by_role("link", name="Sign off eligibility").click()
        investigator_page.get_by_label("Your password").fill("not my password")
        investigator_page.get_by_role("button", name="Sign: I confirm this participant's eligibility").click()
        expect(investigator_page.locator("#password_errors")).to_contain_text("The password is not correct.")
        investigator_page.get_by_label("Your password").fill(PASSWORD)
        investigator_page.get_by_role("button", name="Sign: I confirm this participant's eligibility").click()
        investigator_page.wait_for_url("**/participants/SCR-001/")
        expect(investigator_page.locator("#signoff")).to_contain_text("ivan")
        expect(investigator_page.locator("#signoff")).to_contain_text("I confirm this participant's eligibility")
    finally:
        investigator_context.close()

    page.reload()
    expect(page.locator("#next-action")).to_contain_text("Enroll")
    page.get_by_role("link", name="Enroll participant…").click()
    page.get_by_role("button", name="Confirm enrolment").click()
    expect(page.get_by_text("Enrolled as S2018-11-001.")).to_be_visible()
    expect(page.locator("#participant-status")).to_have_text("Enrolled")
    expect(page.locator("#subject-id")).to_have_text("S2018-11-001")
    rows = page.locator("#visit-table tbody tr")
    expect(rows).to_have_count(7)
    expect(page.locator("#visit-W0 [data-state]")).to_have_text("Open")
    expect(page.locator("#visit-W2")).to_contain_text(f"{planned_day1 + timedelta(days=14):%Y-%m-%d}")
    expect(page.locator("#visit-W2 [data-state]")).to_have_text("Scheduled")
    expect(page.locator(".tl-today")).to_be_visible()
    expect(page.locator("#today")).to_have_text(f"{today:%Y-%m-%d}")
