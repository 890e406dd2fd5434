"""Infusion dose typed in ×10⁶ cells (one decimal), checked live against the planned dose ±10 % by the
server before submit; the stored value stays whole cells."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dosing import dose
from dosing.forms import InfusionForm
from dosing.models import Infusion
from dosing.services import vitals_record
from subjects.sitetime import site_today
from tests import factories
from tests.conftest import browser_login, logged_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("cells", "millions"),
    [(127_000_000, "127.0"), (127_350_000, "127.35"), (14_500_000, "14.5"), (1, "0.000001")],
)
def test_million_cells(cells, millions):
    assert dose.million_cells(cells) == Decimal(millions)


def test_form_cleans_millions_to_whole_cells_and_shows_stored_cells_in_millions():
    field = InfusionForm.base_fields["administered_cells"]
    assert field.clean("127.0") == 127_000_000
    assert field.clean("14.5") == 14_500_000
    assert str(field.prepare_value(127_000_000)) == "127.0"


@pytest.fixture
def day():
    return site_today() - timedelta(days=1)


@pytest.fixture
def participant(coordinator, day):
    return factories.enrolled_participant(coordinator, screening_date=day - timedelta(days=5), planned_day1=day)


def weigh(participant, user, day):
    vitals_record(
        visit=participant.visits.get(visit_code="W0"),
        user=user,
        timepoint="pre_infusion",
        measured_at=timezone.make_aware(timezone.datetime(day.year, day.month, day.day, 8, 0)),
        weight_kg=Decimal("63.5"),
    )


def check_url(participant):
    return f"/dosing/{participant.screening_number}/W0/infusion/dose-check/"


def test_dose_check_answers(participant, coordinator, day):
    client = logged_in(coordinator)
    assert client.post(check_url(participant), {"administered_cells": "127.0"}).json()["state"] == "no_weight"
    weigh(participant, coordinator, day)
    answer = client.post(check_url(participant), {"administered_cells": "14.5"}).json()
    assert answer["state"] == "deviation"
    assert "14,500,000 cells is outside ±10 % of the planned 127,000,000 cells" in answer["message"]
    assert "114,300,000 to 139,700,000" in answer["message"]
    assert client.post(check_url(participant), {"administered_cells": "130.0"}).json()["state"] == "ok"
    assert client.post(check_url(participant), {"administered_cells": "1.25"}).json()["state"] == "invalid"
    assert client.post(check_url(participant), {"administered_cells": ""}).json()["state"] == "empty"


def test_dose_check_ladder(client, participant, investigator, data_manager):
    assert client.post(check_url(participant), {"administered_cells": "1"}).status_code == 302
    assert logged_in(data_manager).post(check_url(participant), {"administered_cells": "1"}).status_code == 403
    assert logged_in(investigator).post(check_url(participant), {"administered_cells": "1"}).status_code == 200
    assert logged_in(investigator).get(check_url(participant)).status_code == 405


def test_no_infusion_form_before_a_weight(participant, coordinator, day):
    client = logged_in(coordinator)
    html = client.get(f"/dosing/{participant.screening_number}/W0/infusion/").content.decode()
    assert "No pre-infusion weight" in html and 'id="infusion-form"' not in html
    weigh(participant, coordinator, day)
    html = client.get(f"/dosing/{participant.screening_number}/W0/infusion/").content.decode()
    assert 'id="infusion-form"' in html and "(×10⁶: 127.0)" in html
    assert '<span class="required" aria-hidden="true">*</span>' in html


@pytest.mark.browser
def test_browser_warns_before_submit_and_stores_cells(page, transactional_db, coordinator, day):
    participant = factories.enrolled_participant(coordinator, screening_date=day - timedelta(days=5), planned_day1=day)
    weigh(participant, coordinator, day)
    browser_login(page, "alice")
    page.goto(f"/dosing/{participant.screening_number}/W0/infusion/")
    expect(page.locator("#dose-range")).to_contain_text("114,300,000 to 139,700,000")
    page.fill("#id_administered_cells", "12.7")
    expect(page.locator("#dose-check")).to_have_attribute("data-state", "deviation")
    expect(page.locator("#dose-check")).to_contain_text("outside ±10 %")
    page.fill("#id_administered_cells", "127.0")
    expect(page.locator("#dose-check")).to_have_attribute("data-state", "ok")
    page.fill("#id_product_lot", "UC-1")
    page.fill("#id_viability_percent", "92.5")
    page.fill("#id_thaw_time", f"{day:%Y-%m-%d}T08:30")
    page.fill("#id_start_time", f"{day:%Y-%m-%d}T09:00")
    page.fill("#id_end_time", f"{day:%Y-%m-%d}T10:00")
    page.fill("#id_volume_ml", "100")
    page.get_by_role("button", name="Save infusion").click()
    expect(page.get_by_text("Infusion 1 at W0 saved")).to_be_visible()
    assert Infusion.objects.get().administered_cells == 127_000_000
