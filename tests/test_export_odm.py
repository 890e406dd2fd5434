"""CDISC ODM 1.3.2 snapshot: well-formed, required attributes, clinical data with AuditRecords."""

import xml.etree.ElementTree as ET

from django.http import StreamingHttpResponse

from tests.conftest import logged_in
from tests.export_data import build_study_data
from trialsite.audit import audited_save
from trialsite.models import ExportLog

NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3"}


def odm(user):
    response = logged_in(user).get("/api/v1/exports/odm.xml")
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"].startswith("application/xml")
    return ET.fromstring(b"".join(response.streaming_content))


def test_odm_structure_and_audit_records(coordinator, data_manager):
    data = build_study_data(coordinator)
    ae = data["headache"]
    ae.grade = 2
    audited_save(ae, user=data_manager, reason="Source document says grade 2")
    root = odm(data_manager)
    assert root.tag == "{http://www.cdisc.org/ns/odm/v1.3}ODM"
    assert root.get("ODMVersion") == "1.3.2" and root.get("FileType") == "Snapshot"
    assert root.get("FileOID") and root.get("CreationDateTime")
    study = root.find("odm:Study", NS)
    assert study.get("OID") == "S2018-11"
    mdv = study.find("odm:MetaDataVersion", NS)
    assert mdv.get("OID") and mdv.get("Name")
    assert {e.get("OID") for e in mdv.findall("odm:StudyEventDef", NS)} >= {"SE.SCR", "SE.W0", "SE.W12", "SE.AE"}
    assert mdv.find("odm:FormDef[@OID='F.PASI_ASSESSMENT']", NS) is not None
    assert mdv.find("odm:ItemGroupDef[@OID='IG.ADVERSE_EVENT']", NS).get("Domain") == "AE"
    item_defs = {e.get("OID"): e for e in mdv.findall("odm:ItemDef", NS)}
    assert item_defs["IT.PASI_ASSESSMENT.PASI_TOTAL"].get("DataType") == "float"
    clinical = root.find("odm:ClinicalData", NS)
    assert clinical.get("StudyOID") == "S2018-11" and clinical.get("MetaDataVersionOID") == mdv.get("OID")
    subjects = {s.get("SubjectKey"): s for s in clinical.findall("odm:SubjectData", NS)}
    assert set(subjects) == {"S2018-11-01-001", "S2018-11-01-SCR-002"}
    subject = subjects["S2018-11-01-001"]
    events = [e.get("StudyEventOID") for e in subject.findall("odm:StudyEventData", NS)]
    assert events == ["SE.SCR", "SE.W0", "SE.W2", "SE.W4", "SE.W6", "SE.W8", "SE.W12", "SE.AE"]
    total = subject.find(".//odm:ItemData[@ItemOID='IT.PASI_ASSESSMENT.PASI_TOTAL']", NS)
    assert total.get("Value") == "18.0"
    # every item carries its last change; the changed grade names the data manager and the reason
    for item in root.iter("{http://www.cdisc.org/ns/odm/v1.3}ItemData"):
        record = item.find("odm:AuditRecord", NS)
        assert record.find("odm:UserRef", NS).get("UserOID")
        assert record.find("odm:LocationRef", NS).get("LocationOID") == "LOC.01"
        assert record.find("odm:DateTimeStamp", NS).text.endswith("Z")
    grades = subject.findall(".//odm:ItemData[@ItemOID='IT.ADVERSE_EVENT.GRADE']", NS)
    assert [g.get("Value") for g in grades] == ["2", "2"]
    changed = grades[0].find("odm:AuditRecord", NS)
    assert changed.find("odm:UserRef", NS).get("UserOID") == f"USR.{data_manager.id}"
    assert changed.find("odm:ReasonForChange", NS).text == "Source document says grade 2"
    term = subject.find(".//odm:ItemData[@ItemOID='IT.ADVERSE_EVENT.TERM']", NS).find("odm:AuditRecord", NS)
    assert term.find("odm:ReasonForChange", NS).text == "Initial entry"
    users = {u.get("OID") for u in root.find("odm:AdminData", NS).findall("odm:User", NS)}
    assert f"USR.{data_manager.id}" in users and f"USR.{coordinator.id}" in users
    assert ExportLog.objects.get().export == "odm.xml"


def test_odm_roles(coordinator, dmc_reviewer, api_client_user, db):
    from django.test import Client

    assert Client().get("/api/v1/exports/odm.xml").status_code == 401
    assert logged_in(dmc_reviewer).get("/api/v1/exports/odm.xml").status_code == 403
    assert logged_in(coordinator).get("/api/v1/exports/odm.xml").status_code == 403
    assert logged_in(api_client_user).get("/api/v1/exports/odm.xml").status_code == 200


def test_odm_query_count_is_constant(coordinator, data_manager, django_assert_max_num_queries):
    from tests.export_data import add_participants

    client = logged_in(data_manager)
    counts = []
    for n in (2, 4):
        add_participants(coordinator, n)
        client.get("/")  # steady state: the signed-in user cached under the accounts' version
        with django_assert_max_num_queries(25) as captured:
            b"".join(client.get("/api/v1/exports/odm.xml").streaming_content)
        counts.append(len(captured))
    assert counts[0] == counts[1]
