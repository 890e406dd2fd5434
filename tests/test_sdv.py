"""Source data verification: a monitor verifies records or a visit; a later change clears the mark."""

from datetime import date

import pytest

from datamanagement import services
from datamanagement.models import SdvState, SourceVerification
from datamanagement.progress import participant_states, visit_progress
from trialsite.audit import audited_save

from .conftest import logged_in
from .factories import enrolled_participant, pasi_assessment

pytestmark = pytest.mark.django_db


@pytest.fixture
def pasi(coordinator, study):
    participant = enrolled_participant(coordinator, day1=date(2024, 1, 10))
    return pasi_assessment(participant, "W0", "12.0", coordinator)


def test_verify_a_visit_then_a_change_clears_the_record_mark(pasi, monitor, coordinator):
    w0 = pasi.visit
    marks = services.sdv_verify_visit(user=monitor, visit=w0)
    assert {m.record_type for m in marks} == {"visit", "pasi_assessment"}
    assert visit_progress(pasi.participant_id)[w0.pk] == {"verified": 2}
    pasi.trunk_erythema = 4
    audited_save(pasi, user=coordinator, reason="Source says 4", validate=False)
    mark = SourceVerification.objects.get(record_type="pasi_assessment", record_id=pasi.pk)
    assert mark.state == SdvState.CHANGED
    last = mark.history.order_by("-history_id").first()
    assert last.history_user is None and "Changed after verification" in last.history_change_reason
    assert visit_progress(pasi.participant_id)[w0.pk] == {"verified": 1, "changed": 1}
    state = participant_states([pasi.participant_id])[pasi.participant_id]
    assert state.sdv["verified"] == 1 and state.sdv["changed"] == 1 and state.sdv["not_verified"] > 0
    # verified again at the new version
    services.sdv_verify(user=monitor, record_type="pasi_assessment", record_id=pasi.pk)
    mark.refresh_from_db()
    assert (mark.state, mark.verified_version) == (SdvState.VERIFIED, pasi.version)


def test_sdv_api_ladder(pasi, monitor, data_manager, coordinator, client):
    body = {"record_type": "pasi_assessment", "record_id": pasi.pk}
    assert client.post("/api/v1/sdv/", body, content_type="application/json").status_code in (401, 403)
    for user in (coordinator, data_manager):
        assert logged_in(user).post("/api/v1/sdv/", body, content_type="application/json").status_code == 403
    response = logged_in(monitor).post("/api/v1/sdv/", body, content_type="application/json")
    assert response.status_code == 201 and response.json()[0]["state"] == "verified"
    visit = {"participant": pasi.participant.screening_number, "visit": "W0"}
    assert logged_in(monitor).post("/api/v1/sdv/", visit, content_type="application/json").status_code == 201
    assert logged_in(coordinator).get("/api/v1/sdv/").status_code == 403
    data = logged_in(data_manager).get(f"/api/v1/sdv/?participant={pasi.participant.screening_number}").json()
    assert {(m["record_type"], m["state"]) for m in data} == {("pasi_assessment", "verified"), ("visit", "verified")}


def test_sdv_pages(pasi, monitor, coordinator, client):
    sn = pasi.participant.screening_number
    assert client.get("/data/sdv/").status_code == 302
    assert logged_in(coordinator).get("/data/sdv/").status_code == 403
    assert logged_in(monitor).get("/data/sdv/").status_code == 200
    page = logged_in(monitor)
    response = page.post(f"/data/sdv/{sn}/", {"visit": "W0"}, follow=True)
    assert "2 records of W0 verified" in response.content.decode()
    assert logged_in(coordinator).post(f"/data/sdv/{sn}/", {"visit": "W0"}).status_code == 403


def test_odm_carries_the_sdv_state_and_stays_valid(pasi, monitor, coordinator, data_manager):
    from tests.define_schema import odm_132_schema, schema_errors

    services.sdv_verify_visit(user=monitor, visit=pasi.visit)
    pasi.trunk_erythema = 4
    audited_save(pasi, user=coordinator, reason="Source says 4", validate=False)
    body = b"".join(logged_in(data_manager).get("/api/v1/exports/odm.xml").streaming_content)
    assert schema_errors(odm_132_schema(), body) == []
    text = body.decode()
    assert f'<AuditRecord EditPoint="Monitoring"><UserRef UserOID="USR.{monitor.pk}"/>' in text
    assert "SourceDataVerified=Yes (version 1)" in text  # the visit
    assert "SourceDataVerified=No (changed since verification of version 1)" in text  # the PASI


def test_audit_trail_export_has_query_sdv_and_lock_events(pasi, monitor, data_manager):
    from datamanagement.models import LockScope

    services.sdv_verify(user=monitor, record_type="pasi_assessment", record_id=pasi.pk)
    services.query_raise(user=data_manager, record_type="pasi_assessment", record_id=pasi.pk, text="Sure?")
    services.lock_create(user=data_manager, scope=LockScope.DATABASE, reason="Week-12 database lock")
    body = b"".join(logged_in(data_manager).get("/api/v1/audit-trail.csv").streaming_content).decode()
    assert "datamanagement.query" in body and "Sure?" in body
    assert "datamanagement.sourceverification" in body and "Source data verified" in body
    assert "datamanagement.lock" in body and "Week-12 database lock" in body


def test_sdv_status_list_csv(pasi, monitor, coordinator, client):
    services.sdv_verify(user=monitor, record_type="pasi_assessment", record_id=pasi.pk)
    assert client.get("/api/v1/exports/sdv.csv").status_code in (401, 403)
    assert logged_in(coordinator).get("/api/v1/exports/sdv.csv").status_code == 403
    lines = logged_in(monitor).get("/api/v1/exports/sdv.csv").content.decode().splitlines()
    assert lines[0] == "participant,visit,record_type,record_id,state,verified_by,verified_at_utc,verified_version"
    sn = pasi.participant.screening_number
    assert any(line.startswith(f"{sn},W0,pasi_assessment,{pasi.pk},verified,monica,") for line in lines)
    assert f"{sn},,participant,{pasi.participant_id},not_verified,,," in lines
