"""Signatures in the exports: ODM <Signature> with <SignatureDef> (valid against the ODM 1.3.2 XSD) and
signing and invalidation events in the audit-trail export."""

import csv
import io
import xml.etree.ElementTree as ET

from safety.services import adverse_event_assess
from signatures.models import Meaning, Signature
from subjects.models import ParticipantStatus
from tests.conftest import logged_in
from tests.define_schema import odm_132_schema, schema_errors
from tests.export_data import build_study_data
from tests.subjects_helpers import SIGNED
from trialsite.audit import audited_save

NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3"}


def test_odm_carries_the_valid_signatures_and_their_definitions(coordinator, investigator, data_manager):
    data = build_study_data(coordinator)
    p1 = data["p1"]
    adverse_event_assess(
        adverse_event=data["chills"], investigator=investigator, relationship="possible", expected=False,
        reason="Assessed", **SIGNED,
    )  # fmt: skip
    p1.status = ParticipantStatus.COMPLETED
    audited_save(p1, user=coordinator, reason="Completed")
    from signatures.services import signature_add

    signature_add(signer=investigator, meaning=Meaning.CASEBOOK_APPROVAL, record=p1)
    body = b"".join(logged_in(data_manager).get("/api/v1/exports/odm.xml").streaming_content)
    assert schema_errors(odm_132_schema(), body) == []
    root = ET.fromstring(body)
    defs = {d.get("OID"): d.find("odm:Meaning", NS).text for d in root.iterfind("odm:AdminData/odm:SignatureDef", NS)}
    assert defs["SD.casebook_approval"] == "I approve this casebook as complete and accurate" and len(defs) == 4
    subject = root.find(f"odm:ClinicalData/odm:SubjectData[@SubjectKey='{p1.usubjid}']", NS)
    casebook = subject.find("odm:Signature", NS)
    assert casebook.find("odm:SignatureRef", NS).get("SignatureOID") == "SD.casebook_approval"
    assert casebook.find("odm:UserRef", NS).get("UserOID") == f"USR.{investigator.pk}"
    refs = [s.get("SignatureOID") for s in subject.iterfind(".//odm:ItemGroupData/odm:Signature/odm:SignatureRef", NS)]
    assert sorted(refs) == ["SD.ae_causality", "SD.eligibility"]


def test_the_audit_trail_export_holds_signing_and_invalidation(coordinator, investigator, data_manager):
    data = build_study_data(coordinator)
    ae = data["chills"]
    adverse_event_assess(
        adverse_event=ae, investigator=investigator, relationship="possible", expected=False, reason="Assessed",
        **SIGNED,
    )  # fmt: skip
    ae.refresh_from_db()
    ae.term = "Chills and rigors"
    audited_save(ae, user=data_manager, reason="Source says chills and rigors")
    assert not Signature.objects.get(meaning=Meaning.AE_CAUSALITY).valid
    rows = list(csv.DictReader(io.StringIO(b"".join(logged_in(data_manager).get("/api/v1/audit-trail.csv")
                                                    .streaming_content).decode())))  # fmt: skip
    signature_rows = [row for row in rows if row["model"] == "signatures.signature"]
    reasons = {row["reason"] for row in signature_rows}
    assert "Signed: I have assessed the causality of this adverse event" in reasons
    assert any(reason.startswith("Signature invalidated by the change of adverse event") for reason in reasons)
    assert all(row["participant"] == data["p1"].screening_number for row in signature_rows)
