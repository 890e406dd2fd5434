"""Forms that flow: "Save and next form" through a visit's forms in a fixed order; any other save lands
on the participant page at that visit."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from subjects import flow
from subjects.models import VisitDefinition
from subjects.sitetime import site_today
from tests import factories
from tests.conftest import browser_login, logged_in

pytestmark = pytest.mark.django_db


def test_order_per_visit(study):
    codes = {d.code: flow.forms_of(d) for d in VisitDefinition.objects.all()}
    assert codes["SCR"] == ("screening", "vital_signs", "pasi_assessment")
    assert codes["W0"] == codes["W8"] == ("vital_signs", "pasi_assessment", "infusion")
    assert codes["W12"] == ("visit", "vital_signs", "pasi_assessment")


@pytest.fixture
def on_w0(coordinator):
    day = site_today() - timedelta(days=1)
    participant = factories.enrolled_participant(coordinator, screening_date=day - timedelta(days=5), planned_day1=day)
    return participant, day


def test_save_lands_on_the_visit_or_the_next_form(coordinator, on_w0):
    participant, day = on_w0
    sn = participant.screening_number
    client = logged_in(coordinator)
    data = {"timepoint": "pre_infusion", "measured_at": f"{day:%Y-%m-%d}T08:00", "weight_kg": "63.5"}
    assert client.post(f"/dosing/{sn}/W0/vitals/", data)["Location"] == f"/participants/{sn}/#visit-W0"
    data["timepoint"] = "visit"
    response = client.post(f"/dosing/{sn}/W0/vitals/", {**data, "then": "next"})
    assert response["Location"] == f"/assessments/{sn}/W0/pasi/"
    html = client.get(f"/assessments/{sn}/W0/pasi/").content.decode()
    assert "Save and next form: Infusion" in html


def test_last_form_has_no_next_button(coordinator, on_w0):
    participant, _day = on_w0
    html = logged_in(coordinator).get(f"/dosing/{participant.screening_number}/W12/vitals/").content.decode()
    assert "Save and next form: PASI" in html
    html = logged_in(coordinator).get(f"/assessments/{participant.screening_number}/W12/pasi/").content.decode()
    assert "Save and next form" not in html


@pytest.mark.browser
def test_browser_save_and_next(page, transactional_db, coordinator):
    day = site_today() - timedelta(days=1)
    participant = factories.enrolled_participant(coordinator, screening_date=day - timedelta(days=5), planned_day1=day)
    sn = participant.screening_number
    browser_login(page, "alice")
    page.goto(f"/dosing/{sn}/W0/vitals/")
    page.select_option("#id_timepoint", "pre_infusion")
    page.fill("#id_measured_at", f"{day:%Y-%m-%d}T08:00")
    page.fill("#id_weight_kg", "63.5")
    page.get_by_role("button", name="Save and next form: PASI").click()
    page.wait_for_url(f"**/assessments/{sn}/W0/pasi/")
    expect(page.get_by_text("Vital signs at W0 saved")).to_be_visible()
