"""Two users edit the same adverse event in two browsers: the second save is refused with the other
user's change shown, nothing typed is lost, and saving again keeps both changes."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from safety.models import AdverseEvent
from safety.services import adverse_event_record
from tests import factories
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_second_save_is_refused_and_loses_nothing(page, browser, live_server, coordinator, investigator):
    today = timezone.localdate()
    participant = factories.enrolled_participant(
        coordinator, screening_date=today - timedelta(days=30), planned_day1=today - timedelta(days=25),
        day1=today - timedelta(days=25),
    )  # fmt: skip
    ae = adverse_event_record(
        participant=participant,
        user=coordinator,
        term="Headache",
        onset_date=today - timedelta(days=5),
        ongoing=True,
        grade=2,
        serious=False,
        relationship="unlikely",
        expected=True,
        action_taken="dose_not_changed",
        outcome="recovering",
    )
    edit_url = f"/safety/adverse-events/{ae.pk}/edit/"

    # Alice, the coordinator, opens the form and starts typing.
    browser_login(page, "alice")
    page.goto(edit_url)
    page.get_by_label("Term").fill("Migraine")
    page.get_by_label("Reason for change").fill("Diagnosis confirmed by the neurologist")

    # Meanwhile Ivan, the investigator, re-grades the same AE in his own browser.
    context = browser.new_context(base_url=live_server.url)
    other = context.new_page()
    browser_login(other, "ivan")
    other.goto(edit_url)
    other.get_by_label("CTCAE v5.0 grade").select_option("1")
    other.get_by_label("Reason for change").fill("Re-graded on the source document")
    other.get_by_role("button", name="Save changes").click()
    other.wait_for_url(f"**/safety/adverse-events/{ae.pk}/")
    context.close()

    # Alice saves: refused, with Ivan's change shown and her own input kept.
    page.get_by_role("button", name="Save changes").click()
    alert = page.get_by_role("alert").first
    expect(alert).to_contain_text("changed after you opened this form")
    expect(alert).to_contain_text("ivan")
    expect(alert).to_contain_text("grade 2 → 1")
    expect(page.get_by_label("Term")).to_have_value("Migraine")
    expect(page.get_by_label("Reason for change")).to_have_value("Diagnosis confirmed by the neurologist")
    grade = page.get_by_label("CTCAE v5.0 grade")
    expect(grade).to_have_value("1")
    expect(grade).to_have_class(re.compile("changed-meanwhile"))
    stored = AdverseEvent.objects.get(pk=ae.pk)
    assert (stored.term, stored.grade) == ("Headache", 1)  # nothing of Alice's was written, Ivan's kept

    # Saving again succeeds and keeps both changes.
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(f"**/safety/adverse-events/{ae.pk}/")
    expect(page.get_by_text(f"AE {ae.ae_number} updated.")).to_be_visible()
    stored = AdverseEvent.objects.get(pk=ae.pk)
    assert (stored.term, stored.grade) == ("Migraine", 1)
    reasons = list(stored.history.order_by("history_id").values_list("history_change_reason", flat=True))
    assert reasons[-2:] == ["Re-graded on the source document", "Diagnosis confirmed by the neurologist"]
