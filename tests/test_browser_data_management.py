"""The data-management round trip in a real browser: query on a PASI item, answer by correction,
close, source data verification cleared by a later change, casebook lock refusing an edit."""

from datetime import date

import pytest
from playwright.sync_api import expect

from assessments.models import PasiAssessment
from datamanagement.models import Query, QueryState
from tests import factories
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser]


def log_out(page):
    page.get_by_role("button", name="Log out").click()


def test_query_answer_close_sdv_and_lock(page, transactional_db, coordinator, data_manager, monitor):
    participant = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
    pasi = factories.pasi_assessment(participant, "W0", "12.0", coordinator)
    sn = participant.screening_number
    pasi_url = f"/assessments/{sn}/W0/pasi/"

    # the data manager raises a query on the head erythema of the W0 PASI
    browser_login(page, "dana")
    page.goto(pasi_url)
    page.get_by_role("link", name="Raise a query").click()
    page.select_option("#id_field", "head_erythema")
    page.fill("#id_text", "Source notes say head erythema 3: please check.")
    page.select_option("#id_assignee", "alice")
    page.get_by_role("button", name="Raise query").click()
    expect(page.locator("#query-state")).to_have_text("Open")
    query = Query.objects.get()
    log_out(page)

    # the coordinator sees the marker beside the field, corrects the value with a reason, answers
    browser_login(page, "alice")
    page.goto(pasi_url)
    marker = page.locator('[data-query-marker="head_erythema"]')
    expect(marker).to_have_text("Query open")
    page.fill("#id_assessment_date", "2024-01-10")
    page.fill("#id_head_erythema", "3")
    page.fill("#id_reason_for_change", "Transcription error, source says 3")
    page.get_by_role("button", name="Save PASI").click()
    expect(page.locator(".messages")).to_contain_text("PASI at W0 saved")
    page.goto(pasi_url)  # a save lands on the visit page; the marker stays beside the field
    page.locator('[data-query-marker="head_erythema"]').click()
    page.fill("#id_text", "Corrected to 3 as in the source.")
    page.get_by_role("button", name="Answer").click()
    expect(page.locator("#query-state")).to_have_text("Answered")
    query.refresh_from_db()
    assert query.answer_change_id == PasiAssessment.history.filter(id=pasi.pk).latest("history_id").history_id
    log_out(page)

    # the data manager closes it
    browser_login(page, "dana")
    page.goto(f"/data/queries/{query.pk}/")
    page.fill("#id_text", "Thank you.")
    page.get_by_role("button", name="Close").click()
    expect(page.locator("#query-state")).to_have_text("Closed")
    log_out(page)

    # the monitor verifies the visit; a later change clears the PASI's mark
    browser_login(page, "monica")
    page.goto(f"/data/sdv/{sn}/")
    page.get_by_role("button", name="Verify W0").click()
    expect(page.locator(".messages")).to_contain_text("records of W0 verified")
    w0 = page.locator('#sdv-visits tr[data-visit="W0"] td')
    expect(w0.nth(1)).to_have_text("2")
    log_out(page)
    browser_login(page, "alice")
    page.goto(pasi_url)
    page.fill("#id_assessment_date", "2024-01-10")
    page.fill("#id_trunk_desquamation", "2")
    page.fill("#id_reason_for_change", "Late correction")
    page.get_by_role("button", name="Save PASI").click()
    expect(page.locator(".messages")).to_contain_text("PASI at W0 saved")
    log_out(page)
    browser_login(page, "monica")
    page.goto(f"/data/sdv/{sn}/")
    expect(w0.nth(1)).to_have_text("1")
    expect(w0.nth(2)).to_have_text("1")
    expect(page.locator("#sdv-todo")).to_contain_text("changed since verification")
    log_out(page)

    # the data manager locks the casebook; the coordinator's edit is refused with the lock named
    browser_login(page, "dana")
    page.goto(f"/participants/{sn}/")
    page.fill("#lock-reason", "Casebook complete")
    page.get_by_role("button", name="Lock casebook").click()
    expect(page.locator("#casebook-lock")).to_contain_text("Locked")
    log_out(page)

    browser_login(page, "alice")
    page.goto(pasi_url)
    page.fill("#id_assessment_date", "2024-01-10")
    page.fill("#id_head_erythema", "4")
    page.fill("#id_reason_for_change", "Another change")
    page.get_by_role("button", name="Save PASI").click()
    expect(page.get_by_role("alert")).to_contain_text("locked by dana")
    assert PasiAssessment.objects.get(pk=pasi.pk).head_erythema == 3
    assert Query.objects.get().state == QueryState.CLOSED
