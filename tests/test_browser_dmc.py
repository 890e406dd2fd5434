"""A DMC reviewer opens the dashboard in a real browser: charts drawn, known counts visible."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from safety.services import adverse_event_record
from tests import factories
from tests.conftest import browser_login
from tests.test_dmc_dashboard import infusion

TZ = ZoneInfo("Asia/Shanghai")


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True, available_apps=list(settings.INSTALLED_APPS))
def test_dmc_reviewer_sees_dashboard_with_charts(page, coordinator, dmc_reviewer):
    participants = [
        factories.enrolled_participant(coordinator, day1=date(2024, 1, 10), initials=initials)
        for initials in ("QJX", "WVK")
    ]
    for participant in participants:
        infusion(participant, "W0", 1, 127_000_000, coordinator)  # dosed: the safety population
        adverse_event_record(
            participant=participant,
            user=coordinator,
            term="Fever",
            onset_date=date(2024, 1, 20),
            end_date=None,
            ongoing=True,
            grade=3,
            serious=True,
            hospitalization=True,
            relationship="probable",
            expected=False,
            action_taken="drug_interrupted",
            outcome="recovering",
            awareness_time=datetime(2024, 1, 21, 8, 0, tzinfo=TZ),
        )

    refused = []  # what the Content-Security-Policy blocked: nothing may be
    page.on(
        "console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None
    )
    browser_login(page, dmc_reviewer.username)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="DMC dashboard").click()
    page.wait_for_url("**/safety/dashboard/")
    assert page.locator('[data-count="enrolled"]').inner_text() == "2"
    assert page.locator('[data-count="saes"]').inner_text() == "2"
    assert "DMC alert" in page.locator("#dmc-alert").inner_text()
    page.wait_for_function("document.body.dataset.chartsReady === 'true'")
    for canvas in ("chart-grade", "chart-seriousness", "chart-relationship", "chart-pasi", "chart-pasi-mean"):
        box = page.locator(f"#{canvas}").bounding_box()
        assert box and box["width"] > 0 and box["height"] > 0
    drawn = page.evaluate("Object.keys(Chart.instances).length")
    assert drawn == 5  # from the static script, under the policy
    assert refused == []
    content = page.content()
    assert "S2018-11-001" in content and "QJX" not in content and "WVK" not in content
    # the count links to the rows behind it
    page.locator('[data-count="incidence-grade-3"]').click()
    page.wait_for_url("**/safety/dashboard/listing/adverse-events/?grade=3")
    assert page.locator("#listing-count").inner_text() == "2"
    # as of a data cut-off the day before the AEs' onset: no AE, and the cut-off is in the heading
    page.goto("/safety/dashboard/")
    page.locator("#id_cutoff").fill("2024-01-19")
    page.get_by_role("button", name="Show figures").click()
    page.wait_for_url("**/safety/dashboard/?cutoff=2024-01-19")
    assert "data cut-off 2024-01-19" in page.locator("h1").inner_text()
    assert page.locator('[data-count="saes"]').inner_text() == "0"
    assert page.locator('[data-count="infusions"]').inner_text() == "2"
    assert page.locator("#id_cutoff").input_value() == "2024-01-19"  # the field keeps the date
    # a data-changing form is out of reach
    response = page.goto(f"/safety/participants/{participants[0].pk}/adverse-events/new/")
    assert response.status == 403
