"""Every page's query parameters are parsed by a form: bad input shows the page with a message and
status 400 (never a 500, never a NUL byte or a non-number reaching SQL); path parameters that cannot
be a record are 404. Also the audit trail's extreme dates (OverflowError before)."""

from datetime import date

import pytest
from django.test import Client
from rest_framework.test import APIClient

from subjects.models import Participant
from tests import factories

pytestmark = pytest.mark.django_db


def client_of(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.fixture
def people(coordinator, data_manager, dmc_reviewer, investigator):
    factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
    return {
        "coordinator": coordinator,
        "data_manager": data_manager,
        "dmc_reviewer": dmc_reviewer,
        "investigator": investigator,
    }


BAD_QUERIES = [
    ("coordinator", "/safety/adverse-events/?participant=abc"),
    ("coordinator", "/safety/adverse-events/?participant=%00"),
    ("coordinator", "/safety/adverse-events/?serious=maybe"),
    ("coordinator", "/participants/?status=AAA"),
    ("coordinator", "/participants/?q=%00"),
    ("coordinator", "/reminders/?show=%00"),
    ("coordinator", "/reminders/?kind=AAA"),
    ("data_manager", "/audit-trail/?user=%00"),
    ("data_manager", "/audit-trail/?participant=%00"),
    ("data_manager", "/audit-trail/?date_from=2024-13-01"),
    ("data_manager", "/audit-trail/?page=%00"),
    ("data_manager", "/audit-trail/participants/SCR-001/?page=-1"),
    ("dmc_reviewer", "/safety/dashboard/listing/participants/?status=%00"),
    ("dmc_reviewer", "/safety/dashboard/listing/exposure/?infusions=abc"),
    ("dmc_reviewer", "/safety/dashboard/listing/adverse-events/?grade=null"),
    ("dmc_reviewer", "/safety/dashboard/listing/adverse-events/?relationship=%00"),
    ("dmc_reviewer", "/safety/dashboard/listing/saes/?clock=AAA"),
    ("dmc_reviewer", "/safety/dashboard/listing/holds/?open=perhaps"),
    ("dmc_reviewer", "/safety/dashboard/listing/pasi/?visit=%00"),
    ("dmc_reviewer", "/safety/dashboard/listing/adverse-events/?cutoff=%00"),
    # pages added after the first round: the same rule
    ("data_manager", "/audit-trail/?page=99999999999999999999"),  # an OFFSET beyond bigint
    ("data_manager", "/audit-trail/participants/SCR-001/?page=99999999999999999999"),
    ("coordinator", "/deviations/?participant=%00"),
    ("coordinator", "/deviations/?participant=SCR-999"),
    ("coordinator", "/deviations/?page=%00"),
    ("data_manager", "/data/queries/?participant=%00"),
    ("data_manager", "/data/queries/?state=AAA"),
    ("data_manager", "/data/queries/?older_than_days=abc"),
    ("data_manager", "/data/queries/?record_type=%00&format=csv"),  # the page, not an unfiltered CSV
    ("coordinator", "/desk/status/?visit=%00"),
    ("coordinator", "/desk/status/?status=AAA"),
    ("data_manager", "/safety/coding/?show=%00"),
]


@pytest.mark.parametrize("persona,url", BAD_QUERIES)
def test_invalid_query_parameters_are_400_with_a_message(people, persona, url):
    response = client_of(people[persona]).get(url)
    assert response.status_code == 400, (url, response.status_code)
    html = response.content.decode()
    assert 'class="messages"' in html and "not valid" in html
    assert "<h1>" in html  # the page itself, not an error page


@pytest.mark.parametrize(
    "persona,url",
    [
        ("data_manager", "/audit-trail/participants/%00/"),
        ("coordinator", "/participants/%00/"),
        ("coordinator", "/participants/SCR-001/visits/%00/"),
        ("coordinator", "/assessments/%00/W0/pasi/"),
        ("coordinator", "/dosing/SCR-001/%00/vitals/"),
        # a signature's meaning and record name what is signed, as a path would
        ("investigator", "/participants/SCR-001/signatures/sign/?meaning=%00"),
        ("investigator", "/participants/SCR-001/signatures/sign/?meaning=ae_causality&record=abc"),
        ("investigator", "/participants/SCR-001/signatures/sign/?meaning=ae_causality&record=99999999999999999999"),
    ],
)
def test_path_parameters_that_cannot_name_a_record_are_404(people, persona, url):
    assert client_of(people[persona]).get(url).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/safety/adverse-events/?participant={pk}&serious=yes&page=1",
        "/participants/?status=enrolled&q=SCR",
        "/reminders/?show=all&kind=visit_missed",
        "/safety/dashboard/listing/adverse-events/?grade=3&related=yes&treatment_emergent=yes",
        "/safety/dashboard/listing/pasi/?visit=W2",
        "/deviations/?participant=SCR-001&page=1",
        "/desk/status/?visit=W0&status=enrolled",
        "/data/queries/?state=all&participant=SCR-001&older_than_days=0&page=1",
    ],
)
def test_valid_filters_still_answer_200(people, administrator, url):
    persona = "dmc_reviewer" if "dashboard" in url else "coordinator"
    url = url.format(pk=Participant.objects.get().pk)
    assert client_of(people[persona]).get(url).status_code == 200


@pytest.mark.parametrize(
    "dates", ["date_from=0001-01-01", "date_to=9999-12-31", "date_from=0001-01-01&date_to=0001-01-01"]
)
def test_audit_trail_takes_the_calendar_edges(people, dates):
    data_manager = people["data_manager"]
    page = client_of(data_manager).get(f"/audit-trail/?{dates}")
    assert page.status_code == 200
    api = APIClient(raise_request_exception=False)
    api.force_authenticate(data_manager)
    response = api.get(f"/api/v1/audit-trail/?{dates}")
    assert response.status_code == 200, response.content
    assert response.json()["count"] == (0 if dates.endswith("date_to=0001-01-01") else response.json()["count"])
    everything = api.get("/api/v1/audit-trail/").json()["count"]
    if dates == "date_from=0001-01-01":
        assert response.json()["count"] == everything > 0


def test_the_audit_trail_filters_offer_no_page_box(people):
    """The page number travels in the pagination links; the filter form does not show it as a field
    (it had an untranslated "Page" box, and a new filter must start on the first page)."""
    page = client_of(people["data_manager"]).get("/audit-trail/?page=1&user=alice", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    form = page.content.decode().split('<form method="get" class="card filters">', 1)[1].split("</form>", 1)[0]
    assert 'name="page"' not in form and "Page" not in form
    assert 'name="user"' in form and 'value="alice"' in form and 'name="date_from"' in form


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/exports/queries.csv?participant=%00",
        "/api/v1/exports/queries.csv?visit=%00",
        "/api/v1/exports/queries.csv?older_than_days=abc",  # was an empty CSV
        "/api/v1/sdv/?participant=%00",
    ],
)
def test_api_filters_outside_the_viewsets_are_parsed_too(people, url):
    """A NUL byte reached SQL through these two (a 500 on PostgreSQL): a JSON 400 now."""
    api = APIClient(raise_request_exception=False)
    api.force_authenticate(people["data_manager"])
    response = api.get(url)
    assert response.status_code == 400 and response["Content-Type"].startswith("application/json"), url
    valid = url.split("?")[0] + "?participant=SCR-001"
    assert api.get(valid).status_code == 200


@pytest.mark.parametrize(
    "persona,url",
    [
        ("administrator", "/accounts/two-factor/reset/%00/"),
        ("coordinator", "/accounts/profile/tokens/%00/revoke/"),
    ],
)
def test_posted_paths_that_cannot_name_a_record_are_404(people, administrator, persona, url):
    """A NUL byte in a username or token key reached SQL (a 500 on PostgreSQL)."""
    user = administrator if persona == "administrator" else people[persona]
    assert client_of(user).post(url).status_code == 404
    assert client_of(administrator).post("/accounts/two-factor/reset/alice/").status_code == 302  # still resets
