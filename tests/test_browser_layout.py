"""The main pages at a 390 px phone and at 1366 px: no horizontal page scrolling, nothing spilling out of
its box (wide tables scroll inside their own container)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from safety.services import adverse_event_record
from tests import factories
from tests.conftest import browser_login
from tests.test_dmc_dashboard import infusion

TZ = ZoneInfo("Asia/Shanghai")
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}

OVERFLOW = """() => {
  const page = document.scrollingElement.scrollWidth <= window.innerWidth;
  // Boxes whose content spills out without a scroll container of their own (e.g. a DMC tile).
  const spilled = [...document.querySelectorAll('main .card, main .tile, main [data-count]')]
    .filter(el => el.scrollWidth > el.clientWidth + 1)
    .map(el => (el.id || el.className || el.tagName) + ' ' + el.scrollWidth + '>' + el.clientWidth);
  return {page, width: document.scrollingElement.scrollWidth, spilled};
}"""


@pytest.fixture
def study_data(coordinator):
    participant = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10), initials="QJX")
    infusion(participant, "W0", 1, 289_000_000, coordinator)
    factories.pasi_assessment(participant, "W0", "14.0", coordinator)
    factories.pasi_assessment(participant, "W2", "9.5", coordinator)
    ae = adverse_event_record(
        participant=participant,
        user=coordinator,
        term="Fever with a rather long verbatim description of what happened",
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
    return participant, ae


def pages_of(participant, ae) -> dict[str, list[str]]:
    sn = participant.screening_number
    return {
        "alice": [
            "/",
            "/desk/status/",
            "/participants/",
            f"/participants/{sn}/",
            "/participants/register/",
            f"/participants/{sn}/screening/",
            f"/dosing/{sn}/W0/vitals/",
            f"/dosing/{sn}/W0/infusion/",
            f"/assessments/{sn}/W2/pasi/",
            "/safety/adverse-events/",
            f"/safety/adverse-events/{ae.pk}/",
            f"/safety/adverse-events/{ae.pk}/edit/",
            "/reminders/",
        ],
        "ivan": [
            "/desk/todo/",
            "/safety/dashboard/",
            "/safety/dashboard/?cutoff=2024-06-30",
            "/safety/dashboard/listing/adverse-events/?cutoff=2024-06-30",
            f"/safety/adverse-events/{ae.pk}/assess/",
        ],
        "dana": ["/audit-trail/", f"/audit-trail/participants/{sn}/", "/exports/", "/participants/study/"],
    }


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, available_apps=list(settings.INSTALLED_APPS))
@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["390px", "1366px"])
def test_no_horizontal_scrolling(browser, live_server, study_data, coordinator, investigator, data_manager, viewport):
    participant, ae = study_data
    failures = []
    for username, urls in pages_of(participant, ae).items():
        context = browser.new_context(base_url=live_server.url, viewport=viewport)
        page = context.new_page()
        browser_login(page, username)
        for url in urls:
            response = page.goto(url, wait_until="networkidle")  # the live previews are done too
            assert response.status == 200, url
            result = page.evaluate(OVERFLOW)
            if not result["page"] or result["spilled"]:
                failures.append((url, result))
        context.close()
    assert failures == [], "\n".join(map(str, failures))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, available_apps=list(settings.INSTALLED_APPS))
def test_pasi_area_boxes_show_the_whole_value_on_a_phone(browser, live_server, study_data, coordinator):
    participant, _ae = study_data
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    page = context.new_page()
    browser_login(page, "alice")
    page.goto(f"/assessments/{participant.screening_number}/W2/pasi/", wait_until="networkidle")
    for region in ("head", "upper_limbs", "trunk", "lower_limbs"):
        box = page.locator(f"#id_{region}_area_percent")
        box.fill("15.0")
        fits = box.evaluate("el => el.getBoundingClientRect().width >= 72")  # "15.0" beside the spin buttons
        assert fits, region
    context.close()


def test_numbers_and_dates_have_one_format(coordinator):
    from django.template import Context, Template

    rendered = Template("{% load numbers humanize_cells %}{{ n|grouped }} {{ n|cells }} {{ d }} {{ d|date }}").render(
        Context({"n": 289_000_000, "d": date(2026, 10, 14)})
    )
    assert rendered == "289,000,000 289,000,000 2026-10-14 2026-10-14"
