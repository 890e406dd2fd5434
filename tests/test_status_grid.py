"""The participant status grid: participants × visits × forms, each form's state linking to the form;
filterable; the coordinator's home page; a constant number of queries however many participants."""

import html
import re
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from dosing.services import vitals_record
from subjects.models import Participant
from tests import factories
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db
URL = "/desk/status/"


def cell(html: str, sn: str, visit_index: int, form: str) -> str:
    row = html.split(f'data-participant="{sn}"', 1)[1].split("</tr>", 1)[0]
    visit = row.split('class="grid-visit"')[visit_index + 1]
    return visit.split(f'data-form="{form}"', 1)[1].split(">", 1)[0]


def test_ladder(coordinator, personas):
    assert Client().get(URL).status_code == 302
    assert logged_in(personas["dmc_reviewer"]).get(URL).status_code == 403
    for name in ("coordinator", "investigator", "data_manager"):
        assert logged_in(personas[name]).get(URL).status_code == 200, name


def test_coordinator_lands_on_the_grid(coordinator):
    assert logged_in(coordinator).get("/")["Location"] == URL


def test_states_and_links(coordinator):
    participant = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
    sn = participant.screening_number
    factories.pasi_assessment(participant, "W0", "14.0", coordinator)
    w0 = participant.visits.get(visit_code="W0")
    vitals_record(
        visit=w0,
        user=coordinator,
        timepoint="pre_infusion",
        measured_at=timezone.make_aware(timezone.datetime(2024, 1, 10, 8, 0)),
        weight_kg=Decimal("63.5"),
    )
    html = logged_in(coordinator).get(URL).content.decode()
    assert 'data-state="complete"' in cell(html, sn, 1, "pasi_assessment")  # W0 is the second column
    assert 'data-state="incomplete"' in cell(html, sn, 1, "vital_signs")  # no post-infusion yet
    assert 'data-state="not_started"' in cell(html, sn, 1, "infusion")
    assert 'data-state="complete"' in cell(html, sn, 0, "screening")
    assert f'href="/assessments/{sn}/W0/pasi/"' in html and f'href="/dosing/{sn}/W0/infusion/"' in html
    assert "PASI: complete" in html  # the text alternative of the icon


def test_filters(coordinator):
    enrolled = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
    screening = factories.participant(coordinator, initials="ZZ")
    client = logged_in(coordinator)
    html = client.get(URL, {"status": "enrolled"}).content.decode()
    assert enrolled.screening_number in html and f'data-participant="{screening.screening_number}"' not in html
    html = client.get(URL, {"visit": "W4"}).content.decode()
    assert html.count('class="grid-visit"') == 2 and '<th scope="col">W4</th>' in html
    assert client.get(URL, {"visit": "W99"}).status_code == 400


def test_constant_queries_at_1000_participants(coordinator, django_assert_max_num_queries):
    client = logged_in(coordinator)
    for _ in range(3):
        factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
    client.get(URL)
    with django_assert_max_num_queries(15) as few:
        client.get(URL)
    # 1 000 participants: bulk-created registrations (the grid reads, it does not care how they came)
    seq = Participant.objects.count()
    Participant.objects.bulk_create(
        Participant(
            screening_seq=seq + n,
            screening_number=f"SCR-{seq + n:04d}",
            site_id="01",
            initials="AB",
            sex="F",
            date_of_birth=date(1980, 1, 1),
            consent_date=date(2024, 1, 2),
            consent_version="1.0",
        )
        for n in range(1, 998)
    )
    assert Participant.objects.count() == 1000
    for page in (1, 10):
        with django_assert_max_num_queries(len(few)):
            assert client.get(URL, {"page": page}).status_code == 200


def test_cells_carry_query_verification_lock_and_signature_states(coordinator, data_manager, investigator):
    from datamanagement.services import query_raise
    from desk.status import status_grid
    from signatures.models import Signature
    from subjects.models import Participant, VisitDefinition

    participant = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
    screening = participant.screening
    query_raise(user=data_manager, record_type="screening", record_id=screening.pk, text="Weight?")
    assert Signature.objects.filter(record_type="screening", record_id=screening.pk, invalidated_at=None).exists()
    rows = status_grid([Participant.objects.get(pk=participant.pk)], list(VisitDefinition.objects.order_by("visitnum")))
    cell = next(cell for cells in rows[0].visits for cell in cells if cell.form == "screening")
    assert {"open_query", "signed"} <= set(cell.states)
    assert "open query" in cell.label and "signed" in cell.label


@pytest.mark.parametrize("reader", ["coordinator", "investigator", "data_manager", "monitor", "administrator"])
def test_every_link_of_the_grid_and_participant_page_opens_for_its_reader(reader, request, coordinator):
    """A reader is shown only links they may follow: the screening and visit cells lead a reader who
    does not enter data to the participant page, which offers the audit trail only to those who may
    read it."""
    participant = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
    factories.pasi_assessment(participant, "W0", "14.0", coordinator)
    client = logged_in(coordinator if reader == "coordinator" else request.getfixturevalue(reader))
    sn = participant.screening_number
    links = set()
    for page in (URL, f"/participants/{sn}/"):
        response = client.get(page)
        assert response.status_code == 200, page
        links |= {html.unescape(link) for link in re.findall(r'href="(/[^"#]*)', response.content.decode())}
    # Not followed: leaving the page (log out, language), files, and casebook PDFs (their own tests).
    links = {link for link in links if not re.search(r"^/(static|accounts/logout|language)/|casebook", link)}
    assert f"/participants/{sn}/visits/W12/" in links or reader not in ("coordinator", "investigator")
    refused = {link: status for link in sorted(links) if (status := client.get(link).status_code) >= 400}
    assert refused == {}
