"""Each DMC table downloads as CSV (the listing as filtered, every row, pseudonymised, logged)."""

import csv
import io
from datetime import date

import pytest
from django.test import Client

from safety.services import adverse_event_record
from tests import factories
from tests.conftest import logged_in
from tests.test_dmc_dashboard import infusion
from trialsite.models import ExportLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(coordinator):
    participant = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10), initials="QJX")
    infusion(participant, "W0", 1, 289_000_000, coordinator)
    adverse_event_record(
        participant=participant,
        user=coordinator,
        term="=HYPERLINK(1)",
        onset_date=date(2024, 1, 20),
        end_date=date(2024, 1, 21),
        ongoing=False,
        grade=1,
        serious=False,
        relationship="unlikely",
        expected=True,
        action_taken="dose_not_changed",
        outcome="recovered",
    )
    return participant


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.mark.parametrize("name", ["participants", "exposure", "adverse-events", "saes", "holds", "signals", "pasi"])
def test_every_table_as_csv(data, dmc_reviewer, name):
    response = logged_in(dmc_reviewer).get(f"/safety/dashboard/listing/{name}/", {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert f"dmc-{name}-" in response["Content-Disposition"]
    body = response.content.decode()
    assert data.screening_number not in body and "QJX" not in body  # pseudonymised as the page
    assert ExportLog.objects.filter(user=dmc_reviewer, export=f"dmc-{name}.csv").exists()


def test_csv_holds_the_rows_of_the_page_and_neutralises_formulas(data, dmc_reviewer):
    client = logged_in(dmc_reviewer)
    rows = rows_of(client.get("/safety/dashboard/listing/adverse-events/", {"format": "csv"}))
    assert len(rows) == 2 and "'=HYPERLINK(1)" in rows[1]
    exposure = rows_of(client.get("/safety/dashboard/listing/exposure/", {"format": "csv"}))
    assert any("289000000" in cell or "289,000,000" in cell for cell in exposure[1])
    html = client.get("/safety/dashboard/").content.decode()
    assert 'href="/safety/dashboard/listing/pasi/?format=csv"' in html


def test_ladder(data, coordinator):
    url = "/safety/dashboard/listing/exposure/?format=csv"
    assert Client().get(url).status_code == 302
    assert logged_in(coordinator).get(url).status_code == 403
