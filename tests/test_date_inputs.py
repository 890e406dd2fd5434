"""Every date and date-time input of every browser form renders ISO, so a saved date comes back filled."""

import importlib
import inspect
from datetime import date

import pytest
from django import forms
from playwright.sync_api import expect

from safety.services import adverse_event_record
from tests import factories
from tests.conftest import browser_login
from trialsite.forms import IsoDateInput, IsoDateTimeInput

FORM_MODULES = ("subjects.forms", "assessments.forms", "dosing.forms", "safety.forms", "exports.forms")


def all_form_classes():
    for module_name in FORM_MODULES:
        module = importlib.import_module(module_name)
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module_name:
                yield cls


@pytest.mark.parametrize("form_class", list(all_form_classes()), ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_declared_date_fields_use_iso_widgets(form_class):
    for name, field in form_class.base_fields.items():
        if isinstance(field, forms.DateTimeField):
            assert isinstance(field.widget, IsoDateTimeInput), f"{form_class.__name__}.{name}"
        elif isinstance(field, forms.DateField):
            assert isinstance(field.widget, IsoDateInput), f"{form_class.__name__}.{name}"


def test_widgets_render_iso():
    assert 'value="2026-11-11"' in IsoDateInput().render("d", date(2026, 11, 11))
    assert 'type="date"' in IsoDateInput().render("d", None)
    from datetime import datetime

    rendered = IsoDateTimeInput().render("t", datetime(2026, 11, 11, 9, 5))
    assert 'value="2026-11-11T09:05"' in rendered and 'type="datetime-local"' in rendered


def test_saved_pasi_date_comes_back_filled(coordinator):
    from tests.conftest import logged_in

    participant = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
    factories.pasi_assessment(participant, "W2", "10.0", coordinator)
    stored = participant.visits.get(visit_code="W2").pasi_assessment.assessment_date
    html = logged_in(coordinator).get(f"/assessments/{participant.screening_number}/W2/pasi/").content.decode()
    assert f'value="{stored:%Y-%m-%d}"' in html


@pytest.mark.browser
def test_correcting_a_saved_pasi_and_ae_keeps_their_dates(page, transactional_db, coordinator):
    participant = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
    factories.pasi_assessment(participant, "W2", "10.0", coordinator)
    ae = adverse_event_record(
        participant=participant,
        user=coordinator,
        term="Headache",
        onset_date=date(2024, 1, 12),
        end_date=date(2024, 1, 13),
        ongoing=False,
        grade=1,
        serious=False,
        relationship="unlikely",
        expected=True,
        action_taken="dose_not_changed",
        outcome="recovered",
    )
    sn = participant.screening_number
    browser_login(page, "alice")

    page.goto(f"/assessments/{sn}/W2/pasi/")
    saved = participant.visits.get(visit_code="W2").pasi_assessment.assessment_date
    expect(page.locator("#id_assessment_date")).to_have_value(f"{saved:%Y-%m-%d}")
    page.fill("#id_bsa_percent", "12.5")
    page.fill("#id_reason_for_change", "Transcription error")
    page.get_by_role("button", name="Save PASI").click()
    expect(page.get_by_text("PASI at W2 saved")).to_be_visible()
    page.goto(f"/assessments/{sn}/W2/pasi/")
    expect(page.locator("#id_assessment_date")).to_have_value(f"{saved:%Y-%m-%d}")

    page.goto(f"/safety/adverse-events/{ae.pk}/edit/")
    expect(page.locator("#id_onset_date")).to_have_value("2024-01-12")
    expect(page.locator("#id_end_date")).to_have_value("2024-01-13")
    page.fill("#id_term", "Tension headache")
    page.fill("#id_reason_for_change", "Clarified term")
    page.locator("form button[type=submit]").last.click()
    ae.refresh_from_db()
    assert ae.term == "Tension headache" and ae.onset_date == date(2024, 1, 12)
