"""The interface in Simplified Chinese, in a real browser: a coordinator whose language is Chinese
screens, enrols and records W0 without meeting an English sentence (codes and units aside); a DMC
reviewer switches to English and reads the dashboard in English. Screenshots of every page go to
test-results/chinese/ for a reader to look at."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from subjects import services
from subjects.models import Participant
from tests.conftest import PASSWORD
from tests.subjects_helpers import signoff_request
from tests.test_browser_dosing import fill_region
from tests.test_browser_layout import PHONE
from tests.test_browser_subjects import EXCLUSIONS
from tests.test_translations import english_words
from trialsite.models import UserPreference

SHOTS = Path(settings.BASE_DIR) / "test-results" / "chinese"
pytestmark = [pytest.mark.browser, pytest.mark.slow]
# What the coordinator typed, usernames and the zone's IANA name stay as they are in any language.
OWN_WORDS = {"ZLW", "alice", "ivan", "dmitri", "UC", "Sr", "Trialsite", "zh", "Hans", "English", "Asia", "Shanghai"}


def english_on(page, name: str) -> list[str]:
    """English words of the page's visible text (the language switch, which names English, aside)."""
    page.wait_for_load_state()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)
    text = page.evaluate(
        "() => { const c = document.body.cloneNode(true);"
        " c.querySelectorAll('.language-switch, script, style, [lang=en]').forEach(e => e.remove());"
        " return c.innerText; }"
    )
    return [word for word in english_words(text) if word not in OWN_WORDS]


def assert_chinese(page, name: str) -> None:
    words = english_on(page, name)
    assert not words, f"{name} ({page.url}) shows English: {sorted(set(words))[:30]}"


@pytest.mark.django_db(transaction=True, available_apps=list(settings.INSTALLED_APPS))
def test_a_chinese_coordinator_screens_enrols_and_records_w0(browser, live_server, coordinator, investigator):
    UserPreference.objects.create(user=coordinator, language="zh-hans")
    now = timezone.localtime()
    day = now.date() if now.hour >= 11 else now.date() - timedelta(days=1)  # 08:00–10:00 in the past
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()

    page.goto("/accounts/login/")
    assert_chinese(page, "01-login")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    assert_chinese(page, "02-home")

    page.goto("/participants/register/")
    assert_chinese(page, "03-register")
    page.fill("#id_initials", "ZLW")
    page.select_option("#id_sex", "F")
    page.fill("#id_date_of_birth", "1979-04-12")
    page.fill("#id_consent_date", f"{day - timedelta(days=10):%Y-%m-%d}")
    page.fill("#id_consent_version", "1.0")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/participants/SCR-001/screening/")
    assert_chinese(page, "04-screening")

    page.fill("#id_screening_date", f"{day - timedelta(days=5):%Y-%m-%d}")
    page.fill("#id_planned_day1_date", f"{day:%Y-%m-%d}")
    page.fill("#id_weight_kg", "63.5")
    page.fill("#id_height_cm", "168.0")
    page.fill("#id_bsa_percent", "15.0")
    for key in EXCLUSIONS:
        page.check(f"#id_{key}_1")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/participants/SCR-001/#visit-SCR")
    assert_chinese(page, "05-participant-screened")

    page.goto("/assessments/SCR-001/SCR/pasi/")
    assert_chinese(page, "06-screening-pasi")
    page.fill("#id_assessment_date", f"{day - timedelta(days=5):%Y-%m-%d}")
    for region in ("head", "upper_limbs", "trunk", "lower_limbs"):
        fill_region(page, region)
    expect(page.locator("#pasi-total")).to_have_text("14.0")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/participants/SCR-001/#visit-SCR")

    services.eligibility_signoff(
        participant=Participant.objects.get(), investigator=investigator, password=PASSWORD, request=signoff_request()
    )
    page.goto("/participants/SCR-001/enroll/")
    assert_chinese(page, "07-enrol")
    page.locator("main form button[type=submit]").first.click()
    expect(page.get_by_text("S2018-11-001").first).to_be_visible()
    assert_chinese(page, "08-enrolled")

    page.goto("/dosing/SCR-001/W0/vitals/")
    assert_chinese(page, "09-vitals")
    page.select_option("#id_timepoint", "pre_infusion")
    page.fill("#id_measured_at", f"{day:%Y-%m-%d}T08:00")
    page.fill("#id_weight_kg", "63.5")
    page.locator("#save-and-next").click()
    page.wait_for_url("**/assessments/SCR-001/W0/pasi/")
    assert_chinese(page, "10-w0-pasi")
    page.fill("#id_assessment_date", f"{day:%Y-%m-%d}")
    for region in ("head", "upper_limbs", "trunk", "lower_limbs"):
        fill_region(page, region)
    page.locator("#save-and-next").click()
    page.wait_for_url("**/dosing/SCR-001/W0/infusion/")
    assert_chinese(page, "11-infusion")
    page.fill("#id_product_lot", "UC-2024-007")
    page.fill("#id_viability_percent", "92.5")
    page.fill("#id_administered_cells", "127.0")
    expect(page.locator("#dose-check")).to_have_attribute("data-state", "ok")
    page.fill("#id_thaw_time", f"{day:%Y-%m-%d}T08:30")
    page.fill("#id_start_time", f"{day:%Y-%m-%d}T09:00")
    page.fill("#id_end_time", f"{day:%Y-%m-%d}T10:00")
    page.fill("#id_volume_ml", "100")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    assert page.locator("#error-summary").count() == 0, page.locator("#error-summary").inner_text()
    assert_chinese(page, "12-infused")
    assert Participant.objects.get().infusions.count() == 1

    page.goto("/participants/SCR-001/")
    assert_chinese(page, "13-participant")
    assert f"{day.year}年{day.month}月{day.day}日" in page.inner_text("main")
    context.close()


@pytest.mark.django_db(transaction=True, available_apps=list(settings.INSTALLED_APPS))
def test_a_dmc_reviewer_switches_to_english(browser, live_server, dmc_reviewer):
    UserPreference.objects.create(user=dmc_reviewer, language="zh-hans")
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900}, locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("#id_username", dmc_reviewer.username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto("/safety/dashboard/")
    assert_chinese(page, "20-dashboard-zh")
    page.locator(".language-switch button").click()
    page.wait_for_url("**/safety/dashboard/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "21-dashboard-en.png", full_page=True)
    assert "DMC" in page.inner_text("h1")
    assert UserPreference.objects.get(user=dmc_reviewer).language == "en-gb"
    context.close()
