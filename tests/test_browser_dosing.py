"""A coordinator records W0 vitals, PASI (live total) and the infusion (planned dose), then sees the dosing table."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests import factories
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASI_14 = {  # head 1.0 + upper limbs 1.6 + trunk 5.4 + lower limbs 6.0
    "head": ("2", "2", "1", "15"),
    "upper_limbs": ("2", "1", "1", "25"),
    "trunk": ("2", "2", "2", "35"),
    "lower_limbs": ("2", "2", "1", "45"),
}


def fill_region(page, region: str) -> None:
    erythema, induration, desquamation, area = PASI_14[region]
    page.fill(f"#id_{region}_erythema", erythema)
    page.fill(f"#id_{region}_induration", induration)
    page.fill(f"#id_{region}_desquamation", desquamation)
    page.fill(f"#id_{region}_area_percent", area)


def test_coordinator_records_w0(page, transactional_db, coordinator):
    now = timezone.localtime()
    day = now.date() if now.hour >= 11 else now.date() - timedelta(days=1)  # 08:00–10:00 must be in the past
    participant = factories.enrolled_participant(coordinator, screening_date=day - timedelta(days=5), planned_day1=day)
    sn = participant.screening_number
    browser_login(page, "alice")

    page.goto(f"/dosing/{sn}/W0/vitals/")
    page.select_option("#id_timepoint", "pre_infusion")
    page.fill("#id_measured_at", f"{day:%Y-%m-%d}T08:00")
    page.fill("#id_weight_kg", "63.5")
    page.fill("#id_systolic_bp", "122")
    page.fill("#id_diastolic_bp", "78")
    page.get_by_role("button", name="Save vital signs").click()
    page.wait_for_url(f"**/participants/{sn}/#visit-W0")  # after a save: the participant page at that visit
    page.goto(f"/dosing/{sn}/W0/vitals/")
    expect(page.locator("#vitals-table")).to_contain_text("63.5")
    expect(page.locator("#vitals-table")).to_contain_text("122/78")

    page.goto(f"/assessments/{sn}/W0/pasi/")
    page.fill("#id_assessment_date", f"{day:%Y-%m-%d}")
    fill_region(page, "head")
    expect(page.locator('[data-subtotal="head"]')).to_have_text("1.0")
    expect(page.locator('[data-area-score="head"]')).to_have_text("2")
    fill_region(page, "upper_limbs")
    fill_region(page, "trunk")
    expect(page.locator('[data-subtotal="trunk"]')).to_have_text("5.4")
    expect(page.locator("#pasi-total")).to_have_text("—")  # a region is still missing
    fill_region(page, "lower_limbs")
    expect(page.locator("#pasi-total")).to_have_text("14.0")
    page.fill("#id_trunk_area_percent", "55")  # area score 4: trunk 0.3×6×4 = 7.2, PASI 15.8
    expect(page.locator('[data-subtotal="trunk"]')).to_have_text("7.2")
    expect(page.locator("#pasi-total")).to_have_text("15.8")
    page.fill("#id_trunk_area_percent", "35")
    expect(page.locator("#pasi-total")).to_have_text("14.0")
    page.get_by_role("button", name="Save PASI").click()
    page.wait_for_url(f"**/participants/{sn}/#visit-W0")
    page.goto(f"/assessments/{sn}/W0/pasi/")
    expect(page.locator("#saved-pasi")).to_have_text("14.0")

    page.goto(f"/dosing/{sn}/W0/infusion/")
    expect(page.locator("#planned-cells")).to_have_text("127,000,000")
    page.fill("#id_product_lot", "UC-2024-007")
    page.fill("#id_viability_percent", "92.5")
    page.fill("#id_administered_cells", "127.0")
    # The live dose check answers first: the test server shares one SQLite connection between its
    # threads, so a check still running during the save would break the save's transaction.
    expect(page.locator("#dose-check")).to_have_attribute("data-state", "ok")
    page.fill("#id_thaw_time", f"{day:%Y-%m-%d}T08:30")
    page.fill("#id_start_time", f"{day:%Y-%m-%d}T09:00")
    page.fill("#id_end_time", f"{day:%Y-%m-%d}T10:00")
    page.fill("#id_volume_ml", "100")
    page.get_by_role("button", name="Save infusion").click()
    expect(page.get_by_text("Infusion 1 at W0 saved")).to_be_visible()

    page.goto(f"/participants/{sn}/")
    table = page.locator("#dosing-table")
    expect(table).to_contain_text("W0")
    expect(table).to_contain_text("127,000,000")
    expect(page.locator("#pasi-baseline")).to_have_text("14.0")
    expect(page.locator("#pasi-chart")).to_be_visible()
    assert page.evaluate("typeof Chart !== 'undefined' && Chart.getChart('pasi-chart') !== undefined")
    participant.refresh_from_db()
    assert participant.day1_date == day
