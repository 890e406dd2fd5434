"""Every error of a submission shows at once: the form's own field checks and the service's rules, each
beside its field, with a summary at the top and nothing saved."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dosing.models import Infusion, VitalSigns
from dosing.services import vitals_record
from subjects.models import Screening
from subjects.sitetime import site_today
from tests import factories
from tests.conftest import browser_login, logged_in
from tests.subjects_helpers import SCREENING, register

pytestmark = pytest.mark.django_db


def screening_data(**overrides) -> dict:
    data = {k: ("yes" if v else "no") if isinstance(v, bool) else str(v) for k, v in SCREENING.items()}
    return {**data, **overrides}


def errors_of(html: str, field: str) -> str:
    marker = f'id="{field}_errors"'
    assert marker in html, f"no error beside {field}"
    return html.split(marker, 1)[1].split("</ul>", 1)[0]


def test_screening_shows_dates_ranges_and_required_together(coordinator):
    participant = register(coordinator)
    today = site_today()
    data = screening_data(
        screening_date=f"{today + timedelta(days=3):%Y-%m-%d}",
        planned_day1_date=f"{today + timedelta(days=1):%Y-%m-%d}",
        weight_kg="500",
        height_cm="0",
        bsa_percent="",
    )
    response = logged_in(coordinator).post(f"/participants/{participant.screening_number}/screening/", data)
    html = response.content.decode()
    assert "in the future" in errors_of(html, "screening_date")
    assert "after the screening date" in errors_of(html, "planned_day1_date")
    assert "200.0" in errors_of(html, "weight_kg")
    assert "120.0" in errors_of(html, "height_cm")
    assert "required" in errors_of(html, "bsa_percent")
    assert 'id="error-summary"' in html and html.index("error-summary") < html.index('id="weight_kg_errors"')
    assert not Screening.objects.exists()


@pytest.fixture
def on_w0(coordinator):
    yesterday = site_today() - timedelta(days=1)
    participant = factories.enrolled_participant(
        coordinator, screening_date=yesterday - timedelta(days=5), planned_day1=yesterday
    )
    return participant, yesterday


def test_vitals_show_range_and_blood_pressure_together(coordinator, on_w0):
    participant, day = on_w0
    data = {
        "timepoint": "pre_infusion",
        "measured_at": f"{day:%Y-%m-%d}T08:00",
        "spo2_percent": "30",
        "systolic_bp": "70",
        "diastolic_bp": "90",
    }
    html = logged_in(coordinator).post(f"/dosing/{participant.screening_number}/W0/vitals/", data).content.decode()
    assert "50" in errors_of(html, "spo2_percent")
    assert "greater than diastolic" in errors_of(html, "systolic_bp")
    assert not VitalSigns.objects.exists()


def test_infusion_shows_time_and_dose_errors_together(coordinator, on_w0):
    participant, day = on_w0
    vitals_record(
        visit=participant.visits.get(visit_code="W0"),
        user=coordinator,
        timepoint="pre_infusion",
        measured_at=timezone.make_aware(timezone.datetime(day.year, day.month, day.day, 8, 0)),
        weight_kg=Decimal("63.5"),
    )
    data = {
        "product_lot": "UC-1",
        "viability_percent": "92.5",
        "administered_cells": "14.5",
        "thaw_time": f"{day:%Y-%m-%d}T08:30",
        "start_time": f"{day:%Y-%m-%d}T10:00",
        "end_time": f"{day:%Y-%m-%d}T09:00",
        "volume_ml": "100",
        "whole_volume_given": "yes",
        "interrupted": "no",
    }
    html = logged_in(coordinator).post(f"/dosing/{participant.screening_number}/W0/infusion/", data).content.decode()
    assert "after its start" in errors_of(html, "end_time")
    assert "outside ±10 %" in errors_of(html, "deviation_reason")
    assert not Infusion.objects.exists()


def test_a_valid_submission_still_saves(coordinator, on_w0):
    participant, day = on_w0
    data = {"timepoint": "pre_infusion", "measured_at": f"{day:%Y-%m-%d}T08:00", "weight_kg": "63.5"}
    response = logged_in(coordinator).post(f"/dosing/{participant.screening_number}/W0/vitals/", data)
    assert response.status_code == 302
    assert VitalSigns.objects.count() == 1


@pytest.mark.parametrize(
    "url",
    [
        "/participants/register/",
        "/participants/{sn}/screening/",
        "/dosing/{sn}/W0/vitals/",
        "/assessments/{sn}/W0/pasi/",
    ],
)
def test_required_fields_are_marked(coordinator, on_w0, url):
    participant, _day = on_w0
    html = logged_in(coordinator).get(url.format(sn=participant.screening_number)).content.decode()
    assert '<span class="required" aria-hidden="true">*</span>' in html


@pytest.mark.browser
def test_browser_shows_every_screening_error_at_once(page, transactional_db, coordinator):
    participant = register(coordinator)
    today = site_today()
    browser_login(page, "alice")
    page.goto(f"/participants/{participant.screening_number}/screening/")
    page.fill("#id_screening_date", f"{today + timedelta(days=3):%Y-%m-%d}")
    page.fill("#id_planned_day1_date", f"{today + timedelta(days=1):%Y-%m-%d}")
    page.fill("#id_weight_kg", "500")
    page.fill("#id_height_cm", "0")
    for key, value in SCREENING.items():
        if isinstance(value, bool):
            page.check(f'input[name="{key}"][value="no"]')
    page.get_by_role("button", name="Save screening").click()
    for field in ("screening_date", "planned_day1_date", "weight_kg", "height_cm", "bsa_percent"):
        expect(page.locator(f"#{field}_errors")).to_be_visible()
    expect(page.locator("#error-summary li")).to_have_count(5)
