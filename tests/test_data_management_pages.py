"""Query pages, markers beside fields, states on the participant list, casebook lock from the page."""

from datetime import date

import pytest

from datamanagement import services
from datamanagement.models import Lock, Query, QueryState

from .conftest import logged_in
from .factories import enrolled_participant, pasi_assessment

pytestmark = pytest.mark.django_db


@pytest.fixture
def pasi(coordinator, study):
    participant = enrolled_participant(coordinator, day1=date(2024, 1, 10))
    return pasi_assessment(participant, "W0", "12.0", coordinator)


@pytest.fixture
def query(pasi, data_manager):
    return services.query_raise(
        user=data_manager, record_type="pasi_assessment", record_id=pasi.pk, field="head_erythema", text="Really 2?"
    )


def test_query_list_ladder_and_csv(query, client, dmc_reviewer, coordinator, data_manager, monitor):
    assert client.get("/data/queries/").status_code == 302
    assert logged_in(dmc_reviewer).get("/data/queries/").status_code == 403
    for user in (coordinator, data_manager, monitor):
        assert "Really 2?" in logged_in(user).get("/data/queries/").content.decode()
    assert logged_in(coordinator).get("/data/queries/?format=csv").status_code == 403
    csv = logged_in(monitor).get("/data/queries/?format=csv&record_type=pasi_assessment").content.decode()
    assert "Really 2?" in csv
    assert "Really 2?" not in logged_in(monitor).get("/data/queries/?state=closed").content.decode()


def test_raise_from_the_page(pasi, monitor, coordinator):
    url = f"/data/queries/new/pasi_assessment/{pasi.pk}/"
    assert logged_in(coordinator).get(url).status_code == 403
    assert logged_in(monitor).get(url).status_code == 200
    response = logged_in(monitor).post(url, {"field": "trunk_erythema", "text": "Trunk?", "assignee": "alice"})
    query = Query.objects.get()
    assert response.status_code == 302 and query.assignee == coordinator and query.raised_by == monitor


def test_answer_and_close_on_the_query_page(query, coordinator, data_manager, monitor):
    url = f"/data/queries/{query.pk}/"
    assert logged_in(monitor).post(url, {"action": "answer", "text": "x"}).status_code == 403
    assert logged_in(coordinator).post(url, {"action": "close", "text": "x"}).status_code == 403
    assert logged_in(coordinator).post(url, {"action": "answer", "text": ""}).status_code == 400
    logged_in(coordinator).post(url, {"action": "answer", "text": "Yes, 2 per source"})
    page = logged_in(data_manager).get(url).content.decode()
    assert "Yes, 2 per source" in page and 'value="close"' in page
    logged_in(data_manager).post(url, {"action": "close", "text": "OK"})
    assert Query.objects.get().state == QueryState.CLOSED


def test_marker_beside_the_field_and_thread_on_the_pasi_page(query, pasi, coordinator):
    url = f"/assessments/{pasi.participant.screening_number}/W0/pasi/"
    html = logged_in(coordinator).get(url).content.decode()
    assert 'data-query-marker="head_erythema"' in html
    assert 'data-query-marker="trunk_erythema"' not in html
    assert "Really 2?" in html


def test_participant_list_and_page_show_the_state(query, pasi, coordinator, data_manager):
    html = logged_in(coordinator).get("/participants/").content.decode()
    assert "1 query" in html and "SDV 0 %" in html
    sn = pasi.participant.screening_number
    client = logged_in(data_manager)
    client.post(f"/data/locks/{sn}/", {"action": "lock", "reason": ""})
    assert not Lock.objects.exists()  # an open query: needs the override
    client.post(f"/data/locks/{sn}/", {"action": "lock", "reason": "DM approval", "override_open_queries": "on"})
    assert Lock.objects.get().active
    assert "Locked" in logged_in(coordinator).get("/participants/").content.decode()
    assert logged_in(coordinator).post(f"/data/locks/{sn}/", {"action": "unlock", "reason": "x"}).status_code == 403
    client.post(f"/data/locks/{sn}/", {"action": "unlock", "reason": "Late AE follow-up"})
    assert not Lock.objects.get().active


def test_visit_and_ae_pages_show_their_queries(pasi, data_manager, coordinator):
    visit = pasi.visit
    services.query_raise(user=data_manager, record_type="visit", record_id=visit.pk, text="Visit date?")
    html = logged_in(coordinator).get(f"/participants/{visit.participant.screening_number}/visits/W0/").content.decode()
    assert "Visit date?" in html


def test_visit_and_database_locks_from_the_pages(pasi, data_manager, monitor, coordinator):
    sn = pasi.participant.screening_number
    assert logged_in(monitor).post(f"/data/locks/{sn}/W0/", {"action": "lock"}).status_code == 403
    assert logged_in(coordinator).post("/data/locks/database/", {"action": "lock"}).status_code == 403
    client = logged_in(data_manager)
    client.post(f"/data/locks/{sn}/W0/", {"action": "lock", "reason": "W0 clean"})
    assert Lock.objects.get(scope="visit").visit == pasi.visit
    assert "Unlock W0" in client.get(f"/data/sdv/{sn}/").content.decode()
    client.post(f"/data/locks/{sn}/W0/", {"action": "unlock", "reason": "Reopened"})
    assert not Lock.objects.get(scope="visit").active
    client.post("/data/locks/database/", {"action": "lock", "reason": "Week-12 lock"})
    assert "the database was locked by dana" in client.get("/data/sdv/").content.decode()
    response = client.post("/data/locks/database/", {"action": "unlock", "reason": ""}, follow=True)
    assert Lock.objects.get(scope="database").active  # unlocking needs a reason
    assert "A text is required" in response.content.decode()
