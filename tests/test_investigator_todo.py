"""The investigator's to-do list (their home page): sign-offs, AEs without causality, SAEs with their
clock, holds to release, each linking to the page that resolves it; the causality page shows the AE."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from safety.models import SafetyHold
from safety.services import adverse_event_record
from tests import factories
from tests.conftest import logged_in
from tests.subjects_helpers import screened

pytestmark = pytest.mark.django_db
URL = "/desk/todo/"
TZ = ZoneInfo("Asia/Shanghai")


def sae(participant, user, **overrides):
    fields = dict(
        term="Pneumonia",
        onset_date=date(2024, 1, 20),
        end_date=None,
        ongoing=True,
        grade=3,
        serious=True,
        hospitalization=True,
        relationship="possible",
        expected=False,
        action_taken="drug_interrupted",
        outcome="recovering",
        awareness_time=datetime(2024, 1, 21, 8, 0, tzinfo=TZ),
    )
    fields.update(overrides)
    return adverse_event_record(participant=participant, user=user, **fields)


def test_ladder(personas):
    assert Client().get(URL).status_code == 302
    for name in ("coordinator", "data_manager", "dmc_reviewer"):
        assert logged_in(personas[name]).get(URL).status_code == 403, name
    assert logged_in(personas["investigator"]).get(URL).status_code == 200


def test_investigator_lands_on_the_list(investigator):
    assert logged_in(investigator).get("/")["Location"] == URL


def test_sections_link_to_what_resolves_them(coordinator, investigator, django_assert_max_num_queries):
    waiting = screened(coordinator)  # eligible, not signed off
    participant = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
    event = sae(participant, coordinator)  # entered by a coordinator: no causality assessment yet
    client = logged_in(investigator)
    client.get(URL)
    screened(coordinator)  # one more of each kind costs no query: one per signing meaning and section
    with django_assert_max_num_queries(15):
        html = client.get(URL).content.decode()
    assert f'href="/participants/{waiting.screening_number}/signoff/"' in html
    assert f'href="/safety/adverse-events/{event.pk}/assess/"' in html
    assert f'href="/safety/adverse-events/{event.pk}/"' in html and "data-clock=" in html
    hold = SafetyHold.objects.filter(released_at__isnull=True).first()
    if hold is not None:
        assert f'href="/safety/holds/{hold.pk}/release/"' in html
    for key in ("signoffs", "causality", "saes", "holds"):
        assert f'id="todo-{key}"' in html


def test_causality_page_shows_the_whole_ae(coordinator, investigator):
    participant = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
    event = sae(participant, coordinator)
    html = logged_in(investigator).get(f"/safety/adverse-events/{event.pk}/assess/").content.decode()
    facts = html.split('id="ae-facts"', 1)[1].split("</dl>", 1)[0]
    for text in ("Pneumonia", "2024-01-20", "hospitalisation", "Drug interrupted", "Recovering"):
        assert text.lower() in facts.lower(), text
    assert "data-clock=" in html
