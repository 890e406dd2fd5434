"""Participant list and page, sign-off and enrollment in the browser, and the role ladder of every URL."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from subjects import services
from subjects.models import Participant, Screening, Study
from tests.conftest import PASSWORD, logged_in
from tests.subjects_helpers import enrolled, register, screened, signed_off, signoff_of

SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_today():
    with time_machine.travel(datetime(2024, 1, 8, 10, 0, tzinfo=SHANGHAI), tick=False):
        yield


def urls(p) -> dict[str, str]:
    n = p.screening_number
    return {
        "list": "/participants/",
        "register": "/participants/register/",
        "detail": f"/participants/{n}/",
        "edit": f"/participants/{n}/edit/",
        "screening": f"/participants/{n}/screening/",
        "preview": f"/participants/{n}/screening/preview/",
        "signoff": f"/participants/{n}/signoff/",
        "enroll": f"/participants/{n}/enroll/",
        "withdraw": f"/participants/{n}/withdraw/",
        "visit": f"/participants/{n}/visits/W2/",
        "study": "/participants/study/",
    }


# Who may open (GET) / post to each page: the rest get 403.
VIEWERS = {"coordinator", "investigator", "data_manager", "api_client_user", "administrator"}
ENTERERS = {"coordinator", "investigator"}
ALLOWED = {
    "list": VIEWERS,
    "detail": VIEWERS,
    "register": ENTERERS,
    "edit": ENTERERS,
    "screening": ENTERERS,
    "withdraw": ENTERERS,
    "visit": ENTERERS,
    "signoff": {"investigator"},
    "study": VIEWERS,
}


def test_anonymous_is_sent_to_login_everywhere(client, coordinator, investigator):
    p = enrolled(coordinator, investigator, PASSWORD)
    for name, url in urls(p).items():
        response = client.post(url) if name in {"enroll", "preview"} else client.get(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith("/accounts/login/"), name


@pytest.mark.parametrize(
    "persona",
    ["coordinator", "investigator", "data_manager", "dmc_reviewer", "api_client_user", "administrator", "outsider"],
)
def test_role_ladder_for_every_page(personas, persona):
    p = enrolled(personas["coordinator"], personas["investigator"], PASSWORD)
    client = logged_in(personas[persona])
    for name, allowed in ALLOWED.items():
        expected = 200 if persona in allowed else 403
        assert client.get(urls(p)[name]).status_code == expected, (persona, name)
    post_expected = 403 if persona not in ENTERERS else None
    if post_expected:
        assert client.post(urls(p)["enroll"]).status_code == 403
        assert client.post(urls(p)["preview"]).status_code == 403


def test_dmc_reviewer_never_sees_initials_or_birth_date(dmc_reviewer, coordinator):
    register(coordinator, initials="QXZ")
    for url in ("/participants/", "/participants/SCR-001/"):
        response = logged_in(dmc_reviewer).get(url)
        assert response.status_code == 403
        assert "QXZ" not in response.content.decode()
        assert "1980" not in response.content.decode()


def test_list_search_filter_and_constant_queries(coordinator, investigator, django_assert_max_num_queries):
    enrolled(coordinator, investigator, PASSWORD)
    screened(coordinator, active_infection=True)
    register(coordinator, initials="XYZ")
    client = logged_in(coordinator)
    client.get("/participants/")  # warm the session
    with django_assert_max_num_queries(14):  # the sign-offs of those in screening, the data-management state
        html = client.get("/participants/").content.decode()
    for _ in range(5):
        register(coordinator, initials="MN")
    with django_assert_max_num_queries(14):  # the sign-offs of those in screening, the data-management state
        html = client.get("/participants/").content.decode()
    assert "8 participants" in html
    assert "S2018-11-001" in html and "Record W0 visit (window 4–31 Jan)" in html
    html = client.get("/participants/", {"q": "xyz"}).content.decode()
    assert "SCR-003" in html and "SCR-001<" not in html and "1 participant<" in html
    html = client.get("/participants/", {"q": "001"}).content.decode()
    assert 'href="/participants/SCR-001/"' in html and "1 participant<" in html
    html = client.get("/participants/", {"status": "screen_failed"}).content.decode()
    assert 'href="/participants/SCR-002/"' in html and "1 participant<" in html


def test_list_is_paginated(coordinator):
    for _ in range(27):
        register(coordinator)
    client = logged_in(coordinator)
    html = client.get("/participants/").content.decode()
    assert "Page 1 of 2" in html and "SCR-025" in html and "SCR-026" not in html
    html = client.get("/participants/", {"page": 2, "q": "SCR"}).content.decode()
    assert "SCR-027" in html and "SCR-001" not in html and "q=SCR&amp;page=1" in html


def test_participant_page_shows_status_eligibility_schedule_next_action(coordinator, investigator):
    p = enrolled(coordinator, investigator, PASSWORD)
    html = logged_in(coordinator).get(f"/participants/{p.screening_number}/").content.decode()
    assert 'id="participant-status">Enrolled<' in html
    assert "S2018-11-001" in html and "S2018-11-01-001" in html
    assert "Eligible" in html
    assert "ivan, 2024-01-08 10:00: “I confirm this participant&#x27;s eligibility”" in html
    assert "<strong>Next action:</strong> Record W0 visit (window 4–31 Jan)" in html
    assert 'id="today">2024-01-08<' in html
    assert 'class="tl-today"' in html
    assert html.count('class="tl-row"') == 7
    assert "Withdraw participant" in html


def test_include_points_render_when_present_and_page_survives_when_absent(coordinator, settings, tmp_path):
    p = register(coordinator)
    (tmp_path / "safety").mkdir()
    (tmp_path / "safety" / "_participant_safety.html").write_text(
        "<p id='safety-include'>{{ participant.initials }}</p>"
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    html = logged_in(coordinator).get(f"/participants/{p.screening_number}/").content.decode()
    assert "<p id='safety-include'>AB</p>" in html


def test_investigator_signs_off_in_the_browser(coordinator, investigator):
    p = screened(coordinator)
    client = logged_in(investigator)
    assert "Sign off eligibility" in client.get(f"/participants/{p.screening_number}/").content.decode()
    url, version = f"/participants/{p.screening_number}/signoff/", Screening.objects.get().version
    html = client.post(url, {"password": "nope", "version": version}).content.decode()
    assert '<ul class="errorlist" id="password_errors"><li>The password is not correct.</li>' in html
    assert signoff_of() is None
    response = client.post(url, {"password": PASSWORD, "version": version})
    assert response.status_code == 302
    assert signoff_of().signer == investigator


def test_coordinator_cannot_sign_off(coordinator):
    p = screened(coordinator)
    assert (
        "Sign off eligibility"
        not in logged_in(coordinator).get(f"/participants/{p.screening_number}/").content.decode()
    )
    response = logged_in(coordinator).post(f"/participants/{p.screening_number}/signoff/", {"password": PASSWORD})
    assert response.status_code == 403
    assert signoff_of() is None


def test_enroll_button_flow_and_refusals(coordinator, investigator, data_manager, administrator):
    unsigned = screened(coordinator)
    client = logged_in(coordinator)
    response = client.post(f"/participants/{unsigned.screening_number}/enroll/", follow=True)
    assert "An investigator must sign off eligibility before enrollment." in response.content.decode()
    assert Participant.objects.get(pk=unsigned.pk).subject_id is None

    p = signed_off(coordinator, investigator, PASSWORD)
    html = client.get(f"/participants/{p.screening_number}/").content.decode()
    assert "Enroll participant" in html
    services.study_update(user=administrator, reason="Pilot", enrollment_target=1)  # lowering: an administrator
    other = signed_off(coordinator, investigator, PASSWORD)
    client.post(f"/participants/{other.screening_number}/enroll/")
    response = client.post(f"/participants/{p.screening_number}/enroll/", follow=True)
    assert "The enrollment target of 1 is reached; a data manager must raise the target first." in (
        response.content.decode()
    )
    logged_in(data_manager).post(
        "/participants/study/",
        {"version": Study.current().version, "enrollment_target": 2, "reason_for_change": "Approved"},
    )
    response = client.post(f"/participants/{p.screening_number}/enroll/", follow=True)
    assert "Enrolled as S2018-11-002." in response.content.decode()
    assert client.get("/participants/enroll-nothing/").status_code == 404


def test_withdraw_form(coordinator, investigator):
    p = enrolled(coordinator, investigator, PASSWORD)
    client = logged_in(coordinator)
    url, version = f"/participants/{p.screening_number}/withdraw/", p.version
    html = client.post(url, {"withdrawal_date": "2024-01-09", "version": version}).content.decode()
    assert 'id="withdrawal_reason_errors"' in html
    response = client.post(url, {"withdrawal_date": "2024-01-08", "withdrawal_reason": "Moved", "version": version})
    assert response.status_code == 302
    html = client.get(f"/participants/{p.screening_number}/").content.decode()
    assert "Withdrawn on 08 Jan 2024: no further visits" in html
    assert html.count('data-state="not_done"') == 6


def test_list_next_action_skips_recorded_and_not_done_visits_in_constant_queries(coordinator, investigator):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from subjects.models import Visit
    from subjects.visits import visit_record

    first = enrolled(coordinator, investigator, PASSWORD)
    client = logged_in(coordinator)
    client.get("/")  # warm the session
    with CaptureQueriesContext(connection) as one:
        html = client.get("/participants/").content.decode()
    assert "Record W0 visit (window 4–31 Jan)" in html
    visit_record(
        visit=Visit.objects.get(participant=first, visit_code="W0"), user=coordinator, not_done_reason="Unwell"
    )
    for _ in range(4):
        enrolled(coordinator, investigator, PASSWORD)
    client.get("/")
    with CaptureQueriesContext(connection) as five:
        html = client.get("/participants/").content.decode()
    # W0 not done: W2 is next, planned Day 1 10 Jan + 14 days = 24 Jan, window ±3 days
    assert "Record W2 visit (window 21–27 Jan)" in html
    assert html.count("Record W0 visit (window 4–31 Jan)") == 4
    # the session, the user, their roles, the study (time zone), the savepoint pair, the count for the
    # paginator, the participants and their open visits, the session's save (savepoint, update,
    # release), their data-management state (one query): the same for 1 and 5.
    assert len(five) == len(one) <= 13


def test_search_and_filter_use_indexes_on_postgresql(require_postgres, coordinator):
    from django.db import connection

    from subjects.api.views import search_participants

    register(coordinator, initials="XYZ")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table would be scanned anyway
    plan = search_participants(Participant.objects.order_by(), "001").explain()  # as the page count runs it
    for index in (
        "participant_screening_number_trgm",
        "participant_subject_id_trgm",
        "participant_usubjid_trgm",
        "participant_initials_upper",
    ):
        assert index in plan, plan
    assert "Index" in Participant.objects.filter(status="enrolled").order_by("screening_seq").explain()
