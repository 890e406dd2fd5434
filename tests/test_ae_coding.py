"""Coding AE verbatim terms to MedDRA: exact matches when a term is saved, the coding queue (page and API)
for the rest, re-coding with a reason, all audited; the term search; roles."""

import io
from datetime import date
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from safety.ae_coding import adverse_event_code, adverse_events_auto_code
from safety.models import AdverseEvent
from safety.services import adverse_event_record, adverse_event_update
from tests import factories
from tests.conftest import logged_in
from trialsite.audit import EditConflict

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "meddra"
HEADACHE, HEAD_PAIN, CEPHALGIA, PYREXIA = 90300001, 90400002, 90400003, 90300002


@pytest.fixture
def meddra(db):
    call_command("load_meddra", str(FIXTURE), "--loaded-by", "dana", stdout=io.StringIO())


@pytest.fixture
def participant(coordinator):
    return factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))


def record(participant, user, term: str) -> AdverseEvent:
    return adverse_event_record(
        participant=participant, user=user, term=term, onset_date=date(2024, 1, 12), end_date=date(2024, 1, 13),
        grade=1, relationship="unlikely", expected=False, action_taken="dose_not_changed", outcome="recovered",
    )  # fmt: skip


def code_of(adverse_event) -> int | None:
    adverse_event.refresh_from_db()
    return adverse_event.coded_llt.code if adverse_event.coded_llt_id else None


def test_an_exact_match_is_coded_when_the_ae_is_recorded(meddra, participant, coordinator):
    assert code_of(record(participant, coordinator, "  HEAD   pain ")) == HEAD_PAIN  # case and spaces aside
    assert code_of(record(participant, coordinator, "Throbbing headache")) is None  # no exact match: the queue
    assert code_of(record(participant, coordinator, "Cephalgia")) is None  # a non-current LLT is not coded to


def test_without_a_release_nothing_is_coded(participant, coordinator):
    assert code_of(record(participant, coordinator, "Headache")) is None


def test_a_changed_term_is_coded_afresh_other_changes_keep_the_coding(meddra, participant, coordinator, data_manager):
    event = record(participant, coordinator, "Throbbing headache")
    event = adverse_event_code(adverse_event=event, llt_code=HEADACHE, user=data_manager, reason="Coded by hand")
    event = adverse_event_update(adverse_event=event, user=coordinator, reason="Grade corrected", grade=2)
    assert code_of(event) == HEADACHE
    event = adverse_event_update(adverse_event=event, user=coordinator, reason="Transcription error", term="Fever")
    assert code_of(event) == 90400005  # the new term's exact match, never the old term's coding
    event = adverse_event_update(adverse_event=event, user=coordinator, reason="Clarified", term="Fever, mild")
    assert code_of(event) is None


def test_coding_by_hand_needs_a_reason_and_a_current_term_and_is_audited(
    meddra, participant, coordinator, data_manager
):
    event = record(participant, coordinator, "Throbbing headache")
    with pytest.raises(ValidationError) as error:
        adverse_event_code(adverse_event=event, llt_code=HEADACHE, user=data_manager, reason=" ")
    assert "reason_for_change" in error.value.message_dict
    for code, message in ((CEPHALGIA, "not current"), (12345, "No lowest level term")):
        with pytest.raises(ValidationError) as error:
            adverse_event_code(adverse_event=event, llt_code=code, user=data_manager, reason="Coded")
        assert message in error.value.message_dict["llt_code"][0]
    version = event.version
    adverse_event_code(adverse_event=event, llt_code=HEADACHE, user=data_manager, reason="Coded by hand")
    last = event.history.order_by("-history_id").first()
    assert (last.coded_llt_id is not None, last.history_user, last.history_change_reason) == (
        True, data_manager, "Coded by hand"
    )  # fmt: skip
    with pytest.raises(EditConflict):  # re-coding from a stale read is refused
        adverse_event_code(adverse_event=event, llt_code=HEAD_PAIN, user=data_manager, reason="Re-coded",
                           expected_version=version)  # fmt: skip
    assert code_of(event) == HEADACHE
    current = type(event).objects.get(pk=event.pk).version
    adverse_event_code(adverse_event=event, llt_code=HEAD_PAIN, user=data_manager, reason="More specific LLT",
                       expected_version=current)  # fmt: skip
    assert code_of(event) == HEAD_PAIN
    before, after = event.history.order_by("-history_id")[1], event.history.order_by("-history_id")[0]
    assert (before.coded_llt.code, after.coded_llt.code, after.history_change_reason) == (
        HEADACHE, HEAD_PAIN, "More specific LLT"
    )  # fmt: skip


def test_auto_coding_after_a_release_is_loaded(participant, coordinator, data_manager):
    events = [record(participant, coordinator, term) for term in ("Pyrexia", "Headache", "Bad dream")]
    assert [code_of(e) for e in events] == [None, None, None]  # no release yet
    call_command("load_meddra", str(FIXTURE), "--loaded-by", "dana", stdout=io.StringIO())
    out = io.StringIO()
    call_command("code_adverse_events", data_manager.username, stdout=out)
    assert "2 adverse event(s) coded" in out.getvalue()
    assert [code_of(e) for e in events] == [PYREXIA, HEADACHE, None]
    assert events[0].history.order_by("-history_id").first().history_change_reason == (
        "Auto-coded: exact match in MedDRA 0.1"
    )
    assert adverse_events_auto_code(user=data_manager) == 0  # nothing left it can code


def test_the_coding_queue_page(meddra, participant, coordinator, data_manager, personas, django_assert_max_num_queries):
    uncoded = record(participant, coordinator, "Throbbing headache")
    record(participant, coordinator, "Pyrexia")
    assert Client().get("/safety/coding/").status_code == 302
    for name in ("coordinator", "investigator", "dmc_reviewer", "api_client_user", "outsider"):
        assert logged_in(personas[name]).get("/safety/coding/").status_code == 403, name
    client = logged_in(data_manager)
    # session, user, roles, study, the session's save (3); the release, the uncoded count, the page's count and rows
    with django_assert_max_num_queries(13):
        page = client.get("/safety/coding/")
    html = page.content.decode()
    assert page.status_code == 200 and "Throbbing headache" in html and "Pyrexia" not in html
    assert "Pyrexia" in client.get("/safety/coding/?show=all").content.decode()
    assert client.get("/safety/coding/?show=nonsense").status_code == 400
    url = f"/safety/coding/adverse-events/{uncoded.pk}/"
    assert logged_in(coordinator).get(url).status_code == 403
    form = client.get(url + "?search=head")
    assert form.status_code == 200 and "Head pain" in form.content.decode() and "Cephalgia" not in form.content.decode()
    refused = client.post(url, {"llt_code": CEPHALGIA, "reason_for_change": "Coded", "version": uncoded.version})
    assert refused.status_code == 400 and "not current" in refused.content.decode()
    done = client.post(url, {"llt_code": HEADACHE, "reason_for_change": "Coded", "version": uncoded.version})
    assert done.status_code == 302 and code_of(uncoded) == HEADACHE


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_coding_api(meddra, participant, coordinator, data_manager, dmc_reviewer):
    event = record(participant, coordinator, "Throbbing headache")
    url = f"/api/v1/adverse-events/{event.pk}/code/"
    listed = api(data_manager).get("/api/v1/adverse-events/?coded=false").json()["results"]
    assert [(row["id"], row["coded_llt_code"], row["coded_pt"]) for row in listed] == [(event.pk, None, None)]
    payload = {"llt_code": HEAD_PAIN, "reason_for_change": "Coded"}
    assert APIClient().post(url, payload, format="json").status_code == 401
    assert api(coordinator).post(url, payload, format="json").status_code == 403
    answer = api(data_manager).post(url, payload, format="json", HTTP_IF_MATCH=f'"{event.version}"')
    assert answer.status_code == 200, answer.content
    assert (answer.json()["coded_llt_code"], answer.json()["coded_pt"], answer.json()["coded_soc"]) == (
        HEAD_PAIN, "Headache", "Nervous system disorders"
    )  # fmt: skip
    stale = api(data_manager).post(url, payload, format="json", HTTP_IF_MATCH=f'"{event.version}"')
    assert stale.status_code == 412
    assert api(data_manager).post(url, {"llt_code": 1, "reason_for_change": "x"}, format="json").json() == {
        "llt_code": ["No lowest level term with this code in the active MedDRA release."]
    }
    assert api(data_manager).get("/api/v1/adverse-events/?coded=false").json()["results"] == []
    terms = api(data_manager).get("/api/v1/coding/terms/?search=head").json()
    assert [t["llt_code"] for t in terms] == [HEAD_PAIN, HEADACHE]  # current ones, by name
    exact_first = api(data_manager).get("/api/v1/coding/terms/?search=headache").json()
    assert [t["llt"] for t in exact_first] == ["Headache"]
    assert api(data_manager).get("/api/v1/coding/terms/").status_code == 400
    assert api(dmc_reviewer).get("/api/v1/coding/terms/?search=head").status_code == 403
