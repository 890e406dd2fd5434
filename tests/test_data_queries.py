"""Data queries: raise, answer, close, cancel, re-open; every transition audited; the role ladder."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from datamanagement import services
from datamanagement.models import Query, QueryState
from trialsite.audit import audited_save

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
        user=data_manager,
        record_type="pasi_assessment",
        record_id=pasi.pk,
        field="head_erythema",
        text="Check head erythema",
    )


def thread(query):
    return [
        (row.state, row.history_change_reason, row.history_user.username if row.history_user else None)
        for row in query.history.order_by("history_id")
    ]


def test_raise_names_participant_and_visit(query, pasi):
    assert query.state == QueryState.OPEN
    assert query.participant_id == pasi.participant_id
    assert query.visit_id == pasi.visit_id
    assert thread(query) == [("open", "Check head erythema", "dana")]


def test_unknown_record_type_field_or_record_is_refused(pasi, data_manager):
    for kwargs in (
        {"record_type": "nope", "record_id": pasi.pk},
        {"record_type": "pasi_assessment", "record_id": 999999},
        {"record_type": "pasi_assessment", "record_id": pasi.pk, "field": "no_such_field"},
        {"record_type": "pasi_assessment", "record_id": pasi.pk, "text": " "},
    ):
        with pytest.raises(ValidationError):
            services.query_raise(user=data_manager, **{"text": "x", **kwargs})


def test_answer_close_with_each_transition_audited(query, coordinator, data_manager, pasi):
    pasi.head_erythema = 1
    audited_save(pasi, user=coordinator, reason="Source says 1", validate=False)
    correction = pasi.history.order_by("-history_id").first()
    query = services.query_answer(query=query, user=coordinator, text="Corrected to 1")
    assert query.state == QueryState.ANSWERED
    assert query.answer_change_id == correction.history_id
    query = services.query_close(query=query, user=data_manager, text="Thanks")
    assert thread(query) == [
        ("open", "Check head erythema", "dana"),
        ("answered", "Corrected to 1", "alice"),
        ("closed", "Thanks", "dana"),
    ]


def test_reopen_when_the_answer_is_not_accepted_and_cancel(query, coordinator, data_manager):
    query = services.query_answer(query=query, user=coordinator, text="It is fine")
    query = services.query_reopen(query=query, user=data_manager, text="Source says otherwise")
    assert query.state == QueryState.OPEN
    query = services.query_cancel(query=query, user=data_manager, text="Raised in error")
    assert query.state == QueryState.CANCELLED
    with pytest.raises(ValidationError):
        services.query_answer(query=query, user=coordinator, text="late")


def test_a_closed_query_cannot_be_answered_or_cancelled(query, coordinator, data_manager):
    query = services.query_close(query=query, user=data_manager, text="self-evident")
    for action in ("answer", "cancel", "close"):
        with pytest.raises(ValidationError):
            services.query_transition(query=query, user=coordinator, action=action, text="x")


# --- API -----------------------------------------------------------------------------------------


def test_api_role_ladder_for_raising(client, pasi, coordinator, data_manager, monitor, dmc_reviewer):
    body = {"participant": pasi.participant.screening_number, "record_type": "pasi_assessment", "record_id": pasi.pk}
    body |= {"field": "trunk_induration", "text": "Please check"}
    assert client.post("/api/v1/queries/", body, content_type="application/json").status_code in (401, 403)
    for user in (coordinator, dmc_reviewer):
        assert logged_in(user).post("/api/v1/queries/", body, content_type="application/json").status_code == 403
    for user in (data_manager, monitor):
        response = logged_in(user).post("/api/v1/queries/", body, content_type="application/json")
        assert response.status_code == 201, response.content
        assert response.json()["participant"] == pasi.participant.screening_number
        assert response.json()["thread"][0]["user"] == user.username


def test_api_transitions_and_ladder(query, coordinator, data_manager, monitor, dmc_reviewer, outsider):
    url = f"/api/v1/queries/{query.pk}/"
    assert logged_in(dmc_reviewer).get(url).status_code == 403
    assert logged_in(outsider).get(url).status_code == 403
    assert logged_in(coordinator).get(url).status_code == 200
    # the monitor may not answer, the coordinator may not close
    assert logged_in(monitor).post(url + "answer/", {"text": "x"}, content_type="application/json").status_code == 403
    assert (
        logged_in(coordinator).post(url + "close/", {"text": "x"}, content_type="application/json").status_code == 403
    )
    response = logged_in(coordinator).post(url + "answer/", {"text": "Done"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["state"] == "answered"
    response = logged_in(monitor).post(url + "reopen/", {"text": "Not enough"}, content_type="application/json")
    assert response.json()["state"] == "open"
    response = logged_in(data_manager).post(url + "cancel/", {"text": "Duplicate"}, content_type="application/json")
    assert response.json()["state"] == "cancelled"
    assert [e["state"] for e in response.json()["thread"]] == ["open", "answered", "open", "cancelled"]
    bad = logged_in(data_manager).post(url + "close/", {"text": "x"}, content_type="application/json")
    assert bad.status_code == 400
    assert logged_in(data_manager).post(url + "close/", {}, content_type="application/json").status_code == 400


def test_api_list_filters(query, pasi, data_manager, coordinator, django_assert_max_num_queries):
    services.query_raise(user=data_manager, record_type="participant", record_id=pasi.participant_id, text="Initials?")
    client = logged_in(data_manager)
    with django_assert_max_num_queries(11):
        data = client.get("/api/v1/queries/").json()
    assert data["count"] == 2
    for n in range(3):  # more rows, no more queries
        services.query_raise(user=data_manager, record_type="participant", record_id=pasi.participant_id, text=f"{n}")
    with django_assert_max_num_queries(11):
        assert client.get("/api/v1/queries/").json()["count"] == 5
    assert client.get("/api/v1/queries/?record_type=pasi_assessment&visit=W0").json()["count"] == 1
    assert client.get("/api/v1/queries/?state=closed").json()["count"] == 0
    assert client.get(f"/api/v1/queries/?participant={pasi.participant.screening_number}").json()["count"] == 5
    assert client.get("/api/v1/queries/?older_than_days=7").json()["count"] == 0
    Query.objects.filter(pk=query.pk).update(raised_at=timezone.now() - timedelta(days=8))
    assert client.get("/api/v1/queries/?older_than_days=7").json()["count"] == 1


def test_queries_csv_for_data_managers_and_monitors(query, data_manager, monitor, coordinator, client):
    assert client.get("/api/v1/exports/queries.csv").status_code in (401, 403)
    assert logged_in(coordinator).get("/api/v1/exports/queries.csv").status_code == 403
    for user in (data_manager, monitor):
        response = logged_in(user).get("/api/v1/exports/queries.csv")
        assert response.status_code == 200
        lines = response.content.decode().splitlines()
        assert lines[0].startswith("id,participant,visit,record_type")
        assert "Check head erythema" in lines[1] and ",W0,pasi_assessment," in lines[1]


def test_open_queries_older_than_7_days_remind_the_assignee_once(
    pasi, data_manager, coordinator, investigator, mailoutbox
):
    from datamanagement.reminders import query_reminder_sweep

    assigned = services.query_raise(
        user=data_manager, record_type="pasi_assessment", record_id=pasi.pk, text="Old one", assignee=coordinator
    )
    services.query_raise(user=data_manager, record_type="pasi_assessment", record_id=pasi.pk, text="New one")
    assert query_reminder_sweep() == 0
    Query.objects.filter(pk=assigned.pk).update(raised_at=timezone.now() - timedelta(days=8))
    assert query_reminder_sweep() == 1
    assert query_reminder_sweep() == 0  # idempotent: no second row, no second e-mail
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["alice@example.org"]
    assert "Old one" in logged_in(coordinator).get("/reminders/").content.decode()
    assert "Old one" not in logged_in(investigator).get("/reminders/").content.decode()
    services.query_answer(query=assigned, user=coordinator, text="Done")
    assert "Old one" not in logged_in(coordinator).get("/reminders/").content.decode()


def test_query_and_sdv_csvs_neutralise_formulas(pasi, coordinator):
    """Both CSVs are for spreadsheets: every text cell starting like a formula (a question, a username
    such as @mallory) gets a leading ', as in the audit trail's CSV; numbers stay numbers."""
    import csv
    import io

    from tests.conftest import make_user
    from trialsite.roles import Role

    mallory = make_user("@mallory", Role.MONITOR)
    services.query_raise(
        user=mallory, record_type="pasi_assessment", record_id=pasi.pk, text='=HYPERLINK("http://evil.example")'
    )
    services.sdv_verify(user=mallory, record_type="pasi_assessment", record_id=pasi.pk)
    client = logged_in(mallory)
    for url in ("/api/v1/exports/queries.csv", "/data/queries/?format=csv"):
        (row,) = list(csv.DictReader(io.StringIO(client.get(url).content.decode())))
        assert row["text"] == row["latest_text"] == '\'=HYPERLINK("http://evil.example")'
        assert row["raised_by"] == "'@mallory" and row["record_id"] == str(pasi.pk)
    rows = list(csv.DictReader(io.StringIO(client.get("/api/v1/exports/sdv.csv").content.decode())))
    (verified,) = [row for row in rows if row["state"] == "verified"]
    assert verified["verified_by"] == "'@mallory" and verified["verified_version"].isdigit()
