"""SDTM-style CSV exports: content against hand-written rows, roles, streaming, logging, query counts."""

import csv
import io
import re
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.http import StreamingHttpResponse

from exports import sdtm
from exports.streaming import CHUNK_BYTES
from tests.conftest import logged_in
from tests.export_data import add_participants, build_study_data
from trialsite.models import ExportLog

MEDDRA_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "meddra"

S = "S2018-11"
U1 = "S2018-11-01-001"


def rows(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def data(coordinator):
    return build_study_data(coordinator)


def export(user, domain):
    response = logged_in(user).get(f"/api/v1/exports/sdtm/{domain}.csv")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    return rows(response)


def by_name(table: list[list[str]]) -> list[dict[str, str]]:
    header, *body = table
    return [dict(zip(header, row, strict=True)) for row in body]


def test_dm(data, data_manager):
    assert export(data_manager, "dm") == [
        ["STUDYID", "DOMAIN", "USUBJID", "SUBJID", "RFSTDTC", "RFENDTC", "RFXSTDTC", "RFXENDTC", "RFICDTC",
         "RFPENDTC", "DTHDTC", "DTHFL", "SITEID", "BRTHDTC", "AGE", "AGEU", "SEX", "RACE", "ETHNIC", "ARMCD", "ARM",
         "ACTARMCD", "ACTARM", "ARMNRS", "ACTARMUD", "COUNTRY"],
        [S, "DM", U1, "001", "2024-01-10", "", "2024-01-10T09:15", "2024-01-10T09:45", "2024-01-02", "", "", "",
         "01", "1980-05-17", "43", "YEARS", "F", "NOT REPORTED", "NOT REPORTED", "UCMSC", "UCMSC 2 x 10^6 cells/kg IV",
         "UCMSC", "UCMSC 2 x 10^6 cells/kg IV", "", "", "CHN"],
        # a screen failure: no arm, ARMNRS says why (SDTMIG 3.4); participation ended on the screening date
        [S, "DM", "S2018-11-01-SCR-002", "SCR-002", "", "", "", "", "2024-01-02", "2024-02-01", "", "", "01",
         "1950-02-28", "73", "YEARS", "M", "NOT REPORTED", "NOT REPORTED", "", "", "", "", "SCREEN FAILURE", "", "CHN"],
    ]  # fmt: skip


def test_dm_arm_reasons_race_death_and_end_of_participation(data, coordinator, data_manager):
    """Still in screening: NOT ASSIGNED; enrolled, never dosed: assigned but not treated; race and ethnicity
    as CDISC terms; a death from a fatal AE; RFENDTC/RFPENDTC once withdrawn."""
    from safety.models import AdverseEvent
    from subjects.models import Participant
    from tests import factories

    factories.participant(coordinator, initials="EF", race="asian", ethnicity="not_hispanic_or_latino")
    factories.enrolled_participant(coordinator, initials="GH", race="white", ethnicity="hispanic_or_latino")
    Participant.objects.filter(pk=data["p1"].pk).update(
        status="withdrawn", withdrawal_date=date(2024, 1, 20), withdrawal_reason="Death"
    )
    AdverseEvent.objects.filter(pk=data["chills"].pk).update(
        outcome="fatal", grade=5, death=True, serious=True, ongoing=False, end_date=date(2024, 1, 19)
    )
    rows = {row["SUBJID"]: row for row in by_name(export(data_manager, "dm"))}
    assert {key: rows["001"][key] for key in ("RFENDTC", "RFPENDTC", "DTHDTC", "DTHFL")} == {
        "RFENDTC": "2024-01-20", "RFPENDTC": "2024-01-20", "DTHDTC": "2024-01-19", "DTHFL": "Y"
    }  # fmt: skip
    screening = rows["SCR-003"]
    assert (screening["ARMCD"], screening["ARM"], screening["ACTARMCD"], screening["ARMNRS"]) == (
        "", "", "", "NOT ASSIGNED"
    )  # fmt: skip
    assert (screening["RACE"], screening["ETHNIC"]) == ("ASIAN", "NOT HISPANIC OR LATINO")
    assigned = rows["002"]
    assert (assigned["ARMCD"], assigned["ACTARMCD"], assigned["ACTARM"], assigned["ARMNRS"]) == (
        "UCMSC", "", "", "ASSIGNED, NOT TREATED"
    )  # fmt: skip
    assert (assigned["RACE"], assigned["ETHNIC"]) == ("WHITE", "HISPANIC OR LATINO")


def test_dm_for_the_dmc_has_no_date_of_birth(data, dmc_reviewer):
    header, first = export(dmc_reviewer, "dm")  # enrolled participants only: subject IDs, no screening numbers
    assert "BRTHDTC" not in header
    assert "1980-05-17" not in first
    assert ExportLog.objects.get(user=dmc_reviewer).query == "safety"


def test_ds_milestones_and_disposition(data, data_manager):
    from subjects.models import Participant, ParticipantStatus

    Participant.objects.filter(pk=data["p1"].pk).update(enrolled_at=datetime(2024, 1, 5, 2, 0, tzinfo=UTC))
    assert export(data_manager, "ds") == [
        ["STUDYID", "DOMAIN", "USUBJID", "DSSEQ", "DSTERM", "DSDECOD", "DSCAT", "EPOCH", "DSSTDTC", "DSSTDY"],
        [S, "DS", U1, "1", "INFORMED CONSENT OBTAINED", "INFORMED CONSENT OBTAINED", "PROTOCOL MILESTONE",
         "SCREENING", "2024-01-02", "-8"],
        [S, "DS", U1, "2", "ENROLLED", "ENROLLED", "PROTOCOL MILESTONE", "SCREENING", "2024-01-05", "-5"],
        [S, "DS", "S2018-11-01-SCR-002", "1", "INFORMED CONSENT OBTAINED", "INFORMED CONSENT OBTAINED",
         "PROTOCOL MILESTONE", "SCREENING", "2024-01-02", ""],
        [S, "DS", "S2018-11-01-SCR-002", "2", "SCREEN FAILURE", "SCREEN FAILURE", "DISPOSITION EVENT", "SCREENING",
         "2024-02-01", ""],
    ]  # fmt: skip
    Participant.objects.filter(pk=data["p1"].pk).update(
        status=ParticipantStatus.WITHDRAWN, withdrawal_date=date(2024, 1, 20), withdrawal_reason="Moved away"
    )
    withdrawn = by_name(export(data_manager, "ds"))[2]
    assert (withdrawn["DSTERM"], withdrawn["DSDECOD"], withdrawn["DSCAT"], withdrawn["DSSTDTC"]) == (
        "Moved away", "OTHER", "DISPOSITION EVENT", "2024-01-20"
    )  # fmt: skip
    Participant.objects.filter(pk=data["p1"].pk).update(
        status=ParticipantStatus.COMPLETED, withdrawal_date=None, withdrawal_reason=""
    )
    completed = by_name(export(data_manager, "ds"))[2]
    assert (completed["DSDECOD"], completed["DSSTDTC"], completed["EPOCH"]) == ("COMPLETED", "2024-01-10", "TREATMENT")


def test_ie_names_each_criterion_by_its_code_and_text(data, data_manager):
    assert export(data_manager, "ie") == [
        ["STUDYID", "DOMAIN", "USUBJID", "IESEQ", "IETESTCD", "IETEST", "IECAT", "IEORRES", "IESTRESC", "VISITNUM",
         "VISIT", "EPOCH", "IEDTC", "IEDY"],
        [S, "IE", "S2018-11-01-SCR-002", "1", "INCL02",
         "Age 18 to 65 years inclusive, in completed years on the screening date", "INCLUSION", "N", "N", "", "",
         "SCREENING", "2024-02-01", ""],
        [S, "IE", "S2018-11-01-SCR-002", "2", "EXCL02", "Active infection (including HBV, HCV, HIV, active TB)",
         "EXCLUSION", "Y", "Y", "", "", "SCREENING", "2024-02-01", ""],
    ]  # fmt: skip


def test_ie_a_missing_screening_pasi_fails_inclusion_1_once(data, data_manager):
    from subjects.models import Screening

    Screening.objects.filter(participant=data["p2"]).update(
        failed_criteria=["inclusion_severity", "screening_pasi_missing", "inclusion_age"]
    )
    assert [row[3:8] for row in export(data_manager, "ie")[1:]] == [
        ["1", "INCL01", "Moderate to severe psoriasis vulgaris: PASI > 7.0 or BSA > 10.0% at screening", "INCLUSION",
         "N"],
        ["2", "INCL02", "Age 18 to 65 years inclusive, in completed years on the screening date", "INCLUSION", "N"],
    ]  # fmt: skip


def test_sv_planned_visits_done_missed_and_not_done(data, data_manager):
    from subjects.models import VisitStatus

    visits = data["p1"].visits
    visits.filter(visit_code="W4").update(status=VisitStatus.NOT_DONE, not_done_reason="Clinic closed")
    visits.filter(visit_code__in=["W6", "W8", "W12"]).update(status=VisitStatus.SCHEDULED)
    assert export(data_manager, "sv") == [
        ["STUDYID", "DOMAIN", "USUBJID", "VISITNUM", "VISIT", "SVPRESP", "SVOCCUR", "SVREASOC", "SVSTDTC", "SVENDTC",
         "SVSTDY", "SVENDY"],
        [S, "SV", U1, "0", "SCR", "Y", "Y", "", "2024-01-03", "2024-01-03", "-7", "-7"],
        [S, "SV", U1, "1", "W0", "Y", "Y", "", "2024-01-10", "2024-01-10", "1", "1"],
        [S, "SV", U1, "2", "W2", "Y", "N", "", "", "", "", ""],  # missed: its window closed without a visit
        [S, "SV", U1, "3", "W4", "Y", "N", "Clinic closed", "", "", "", ""],
        # W6, W8, W12 still to come: no record
    ]  # fmt: skip


def test_vs_time_points_baseline_and_epoch(data, data_manager):
    header, *body = export(data_manager, "vs")
    assert header == [
        "STUDYID", "DOMAIN", "USUBJID", "VSSEQ", "VSTESTCD", "VSTEST", "VSORRES", "VSORRESU", "VSSTRESC", "VSSTRESN",
        "VSSTRESU", "VSLOBXFL", "VISITNUM", "VISIT", "EPOCH", "VSDTC", "VSDY", "VSTPT", "VSTPTNUM", "VSELTM",
        "VSTPTREF",
    ]  # fmt: skip
    # measured at 09:00 before the infusion started at 09:15: the last observation before exposure
    pre = ["Y", "1", "W0", "TREATMENT", "2024-01-10T09:00", "1", "PRE-INFUSION", "1", "-PT15M", "INFUSION START"]
    # 01:30 on 11 Jan in Shanghai (17:30 UTC on 10 Jan) is study day 2; a visit's vitals have no time point
    later = ["", "1", "W0", "TREATMENT", "2024-01-11T01:30", "2", "", "", "", ""]
    assert body == [
        [S, "VS", U1, "1", "WEIGHT", "Weight", "63.5", "kg", "63.5", "63.5", "kg", *pre],
        [S, "VS", U1, "2", "SYSBP", "Systolic Blood Pressure", "120", "mmHg", "120", "120", "mmHg", *pre],
        [S, "VS", U1, "3", "DIABP", "Diastolic Blood Pressure", "80", "mmHg", "80", "80", "mmHg", *pre],
        [S, "VS", U1, "4", "PULSE", "Pulse Rate", "72", "beats/min", "72", "72", "beats/min", *pre],
        [S, "VS", U1, "5", "TEMP", "Temperature", "36.8", "C", "36.8", "36.8", "C", *pre],
        [S, "VS", U1, "6", "RESP", "Respiratory Rate", "16", "breaths/min", "16", "16", "breaths/min", *pre],
        [S, "VS", U1, "7", "OXYSAT", "Oxygen Saturation", "98", "%", "98", "98", "%", *pre],
        [S, "VS", U1, "8", "WEIGHT", "Weight", "64.0", "kg", "64.0", "64.0", "kg", *later],
        [S, "VS", U1, "9", "PULSE", "Pulse Rate", "70", "beats/min", "70", "70", "beats/min", *later],
    ]  # fmt: skip


def test_vs_each_minute_during_the_infusion_is_its_own_time_point(data, coordinator, data_manager):
    from dosing.models import VitalSigns
    from tests.export_data import local
    from trialsite.audit import audited_save

    w0, infusion = data["infusion"].visit, data["infusion"]
    for minutes in (30, 15):
        audited_save(VitalSigns(participant=data["p1"], visit=w0, infusion=infusion, timepoint="during_infusion",
                                minutes_after_start=minutes, measured_at=local(2024, 1, 10, 9, 15 + minutes),
                                heart_rate=80), user=coordinator)  # fmt: skip
    audited_save(VitalSigns(participant=data["p1"], visit=w0, infusion=infusion, timepoint="post_infusion",
                            measured_at=local(2024, 1, 10, 10, 0), heart_rate=75), user=coordinator)  # fmt: skip
    pulse = [row for row in by_name(export(data_manager, "vs")) if row["VSTESTCD"] == "PULSE"]
    assert [(r["VSTPT"], r["VSTPTNUM"], r["VSELTM"], r["VSTPTREF"], r["VSLOBXFL"]) for r in pulse] == [
        ("PRE-INFUSION", "1", "-PT15M", "INFUSION START", "Y"),
        ("DURING INFUSION 15 MIN", "16", "PT15M", "INFUSION START", ""),
        ("DURING INFUSION 30 MIN", "31", "PT30M", "INFUSION START", ""),
        ("POST-INFUSION", "32769", "PT15M", "INFUSION END", ""),
        ("", "", "", "", ""),
    ]


def test_ex_dose_in_cdisc_units_deviation_in_suppex(data, data_manager):
    assert export(data_manager, "ex") == [
        ["STUDYID", "DOMAIN", "USUBJID", "EXSEQ", "EXTRT", "EXDOSE", "EXDOSU", "EXDOSFRM", "EXROUTE", "EXLOT",
         "EXADJ", "VISITNUM", "VISIT", "EPOCH", "EXSTDTC", "EXENDTC", "EXSTDY", "EXENDY"],
        [S, "EX", U1, "1", "UCMSC", "126.5", "10^6 Therapeutic Cells", "SUSPENSION", "INTRAVENOUS", "LOT-A1", "", "1",
         "W0", "TREATMENT", "2024-01-10T09:15", "2024-01-10T09:45", "1", "1"],
    ]  # fmt: skip
    assert export(data_manager, "suppex") == [
        ["STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QLABEL", "QVAL", "QORIG", "QEVAL"],
        [S, "EX", U1, "EXSEQ", "1", "EXDOSDEV", "Dose Deviation", "N", "Derived", ""],
    ]


def test_rs_pasi_block_with_total(data, data_manager):
    header, *body = export(data_manager, "rs")
    assert header == [
        "STUDYID", "DOMAIN", "USUBJID", "RSSEQ", "RSTESTCD", "RSTEST", "RSCAT", "RSORRES", "RSORRESU", "RSSTRESC",
        "RSSTRESN", "RSSTRESU", "VISITNUM", "VISIT", "EPOCH", "RSDTC", "RSDY",
    ]  # fmt: skip
    tail = ["1", "W0", "TREATMENT", "2024-01-11", "2"]
    assert [row[3:12] for row in body] == [
        ["1", "HEADERY", "Head and Neck Erythema", "PASI", "2", "", "2", "2", ""],
        ["2", "HEADIND", "Head and Neck Induration", "PASI", "1", "", "1", "1", ""],
        ["3", "HEADDESQ", "Head and Neck Desquamation", "PASI", "1", "", "1", "1", ""],
        ["4", "HEADPCT", "Head and Neck Area Involved", "PASI", "15.0", "%", "15.0", "15.0", "%"],
        ["5", "HEADAREA", "Head and Neck Area Score", "PASI", "2", "", "2", "2", ""],
        ["6", "UPLBERY", "Upper Limbs Erythema", "PASI", "1", "", "1", "1", ""],
        ["7", "UPLBIND", "Upper Limbs Induration", "PASI", "1", "", "1", "1", ""],
        ["8", "UPLBDESQ", "Upper Limbs Desquamation", "PASI", "1", "", "1", "1", ""],
        # upper limbs area entered as a score only: no UPLBPCT row
        ["9", "UPLBAREA", "Upper Limbs Area Score", "PASI", "1", "", "1", "1", ""],
        ["10", "TRNKERY", "Trunk Erythema", "PASI", "2", "", "2", "2", ""],
        ["11", "TRNKIND", "Trunk Induration", "PASI", "2", "", "2", "2", ""],
        ["12", "TRNKDESQ", "Trunk Desquamation", "PASI", "2", "", "2", "2", ""],
        ["13", "TRNKPCT", "Trunk Area Involved", "PASI", "35.0", "%", "35.0", "35.0", "%"],
        ["14", "TRNKAREA", "Trunk Area Score", "PASI", "3", "", "3", "3", ""],
        ["15", "LOLBERY", "Lower Limbs Erythema", "PASI", "3", "", "3", "3", ""],
        ["16", "LOLBIND", "Lower Limbs Induration", "PASI", "2", "", "2", "2", ""],
        ["17", "LOLBDESQ", "Lower Limbs Desquamation", "PASI", "2", "", "2", "2", ""],
        ["18", "LOLBPCT", "Lower Limbs Area Involved", "PASI", "55.0", "%", "55.0", "55.0", "%"],
        ["19", "LOLBAREA", "Lower Limbs Area Score", "PASI", "4", "", "4", "4", ""],
        ["20", "PASITOT", "PASI Total Score", "PASI", "18.0", "", "18.0", "18.0", ""],
    ]
    assert all(row[:3] == [S, "RS", U1] and row[12:] == tail for row in body)


AE_HEADER = [
    "STUDYID", "DOMAIN", "USUBJID", "AESEQ", "AETERM", "AELLT", "AELLTCD", "AEDECOD", "AEPTCD", "AEHLT", "AEHLTCD",
    "AEHLGT", "AEHLGTCD", "AEBODSYS", "AEBDSYCD", "AESOC", "AESOCCD", "AESER", "AEACN", "AEREL", "AEOUT", "AESCONG",
    "AESDISAB", "AESDTH", "AESHOSP", "AESLIFE", "AESMIE", "AETOXGR", "EPOCH", "AESTDTC", "AEENDTC", "AESTDY", "AEENDY",
    "AEENRTPT", "AEENTPT",
]  # fmt: skip


def test_ae_uncoded_terms_ongoing_and_treatment_emergence(data, data_manager):
    uncoded = [""] * 12
    assert export(data_manager, "ae") == [
        AE_HEADER,
        [S, "AE", U1, "1", "Headache", *uncoded, "N", "NOT APPLICABLE", "NOT RELATED", "RECOVERED/RESOLVED", "N", "N",
         "N", "N", "N", "N", "1", "SCREENING", "2024-01-09", "2024-01-11", "-1", "2", "", ""],
        # ongoing: relative to the participant's last visit (W0 on 10 Jan)
        [S, "AE", U1, "2", "Chills, infusion-related", *uncoded, "N", "DOSE NOT CHANGED", "PROBABLE",
         "RECOVERING/RESOLVING", "N", "N", "N", "N", "N", "N", "2", "TREATMENT", "2024-01-10", "", "1", "", "ONGOING",
         "2024-01-10"],
    ]  # fmt: skip
    assert export(data_manager, "suppae") == [
        ["STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QLABEL", "QVAL", "QORIG", "QEVAL"],
        [S, "AE", U1, "AESEQ", "1", "AETRTEM", "Treatment Emergent Flag", "N", "Derived", ""],
        [S, "AE", U1, "AESEQ", "2", "AETRTEM", "Treatment Emergent Flag", "Y", "Derived", ""],
    ]


def test_ae_coded_terms_come_from_meddra(data, data_manager):
    from django.core.management import call_command

    from safety.ae_coding import adverse_events_auto_code

    call_command("load_meddra", str(MEDDRA_FIXTURE), "--loaded-by", "dana", stdout=io.StringIO())
    assert adverse_events_auto_code(user=data_manager) == 1  # Headache; the chills stay uncoded
    headache, chills = by_name(export(data_manager, "ae"))
    assert {name: headache[name] for name in AE_HEADER[5:17]} == {
        "AELLT": "Headache", "AELLTCD": "90300001", "AEDECOD": "Headache", "AEPTCD": "90300001",
        "AEHLT": "Headache types", "AEHLTCD": "90200001", "AEHLGT": "Head pain conditions", "AEHLGTCD": "90100001",
        "AEBODSYS": "Nervous system disorders", "AEBDSYCD": "90000001", "AESOC": "Nervous system disorders",
        "AESOCCD": "90000001",
    }  # fmt: skip
    assert all(chills[name] == "" for name in AE_HEADER[5:17])


def test_trial_design_datasets(data, data_manager, dmc_reviewer):
    summary = {(row["TSPARMCD"], row["TSSEQ"]): row["TSVAL"] for row in by_name(export(data_manager, "ts"))}
    assert summary[("FCNTRY", "1")] == "CHN" and summary[("PLANSUB", "1")] == "5"
    assert (summary[("TTYPE", "1")], summary[("TTYPE", "2")]) == ("EFFICACY", "SAFETY")
    assert (summary[("AGEMIN", "1")], summary[("AGEMAX", "1")], summary[("DOSE", "1")]) == ("P18Y", "P65Y", "2")
    assert summary[("TPHASE", "1")] == "PHASE I/II TRIAL" and summary[("REGID", "1")] == "NCT03745417"
    assert summary[("TINDTP", "1")] == "TREATMENT"  # the registry record's primary purpose
    arms = by_name(export(data_manager, "ta"))
    assert [(r["TAETORD"], r["ETCD"], r["EPOCH"]) for r in arms] == [
        ("1", "SCRN", "SCREENING"), ("2", "UCMSC", "TREATMENT"), ("3", "FU", "FOLLOW-UP")
    ]  # fmt: skip
    assert {r["ARM"] for r in arms} == {"UCMSC 2 x 10^6 cells/kg IV"}  # DM's ARM
    assert [r["ETCD"] for r in by_name(export(data_manager, "te"))] == ["SCRN", "UCMSC", "FU"]
    assert [(r["VISIT"], r["VISITDY"]) for r in by_name(export(data_manager, "tv"))] == [
        ("SCR", ""), ("W0", "1"), ("W2", "15"), ("W4", "29"), ("W6", "43"), ("W8", "57"), ("W12", "85")
    ]  # fmt: skip
    criteria = by_name(export(data_manager, "ti"))
    assert [r["IETESTCD"] for r in criteria] == ["INCL01", "INCL02", "INCL03", *(f"EXCL0{n}" for n in range(1, 9))]
    for domain in ("ts", "ta", "te", "tv", "ti"):  # no participant's data: the DMC may read them
        assert export(dmc_reviewer, domain) == export(data_manager, domain)


def test_study_configuration_is_read_by_the_dataset_query(data, data_manager, administrator):
    """The arm's dose and the site time zone come from the study configuration as it is when the
    dataset is read (by the dataset's own statement), not from a copy taken earlier."""
    from subjects.services import study_update

    export(data_manager, "dm")
    study_update(user=administrator, reason="Amendment 3", dose_per_kg_cells=1_500_000, time_zone="UTC")
    first, _second = by_name(export(data_manager, "dm"))
    assert first["ARM"] == first["ACTARM"] == "UCMSC 1.5 x 10^6 cells/kg IV"
    assert by_name(export(data_manager, "ta"))[0]["ARM"] == "UCMSC 1.5 x 10^6 cells/kg IV"
    body = by_name(export(data_manager, "vs"))
    # 09:00 in Shanghai is 01:00 UTC; 01:30 on 11 Jan in Shanghai is 17:30 UTC on 10 Jan: study day 1
    assert (body[0]["VSDTC"], body[0]["VSDY"]) == ("2024-01-10T01:00", "1")
    assert (body[-1]["VSDTC"], body[-1]["VSDY"]) == ("2024-01-10T17:30", "1")


def test_blank_free_text_is_an_empty_field(data, data_manager):
    """A blank text value and a missing one are both an empty CSV field (never a quoted "")."""
    from dosing.models import Infusion
    from safety.models import AdverseEvent
    from subjects.models import Participant

    # Blanks written past the forms (as an older import could have): the export must still be clean.
    Participant.objects.filter(usubjid=U1).update(sex="", subject_id="")
    Infusion.objects.update(route="", product_lot="")
    AdverseEvent.objects.filter(ae_number=1).update(term="")
    for domain, checks in {"dm": {"SUBJID": "SCR-001", "SEX": ""}, "ex": {"EXROUTE": "", "EXLOT": ""},
                           "ae": {"AETERM": "", "AEDECOD": ""}}.items():  # fmt: skip
        response = logged_in(data_manager).get(f"/api/v1/exports/sdtm/{domain}.csv")
        raw = b"".join(response.streaming_content)
        assert b'""' not in raw, (domain, raw)
        header, first, *_rest = list(csv.reader(io.StringIO(raw.decode())))
        assert {name: first[header.index(name)] for name in checks} == checks, domain


@pytest.mark.parametrize("domain", sorted(sdtm.DATASETS))
def test_every_download_is_logged(data, api_client_user, domain):
    export(api_client_user, domain)
    log = ExportLog.objects.get()
    assert (log.user, log.export) == (api_client_user, f"sdtm/{domain}.csv")


@pytest.mark.parametrize("domain", sorted(set(sdtm.DATASETS) - sdtm.SAFETY_DOMAINS))
def test_dmc_is_refused_datasets_with_more_than_safety(data, dmc_reviewer, domain):
    assert logged_in(dmc_reviewer).get(f"/api/v1/exports/sdtm/{domain}.csv").status_code == 403
    assert not ExportLog.objects.exists()


def test_unknown_domain_is_404(data_manager):
    assert logged_in(data_manager).get("/api/v1/exports/sdtm/qs.csv").status_code == 404
    assert not ExportLog.objects.exists()  # the refusal leaves the enclosing transaction usable


def test_query_count_does_not_grow_with_participants(coordinator, data_manager, django_assert_max_num_queries):
    client = logged_in(data_manager)
    add_participants(coordinator, 2)
    counts = {}
    for size in (2, 6):
        if size == 6:
            add_participants(coordinator, 4)
        for domain in ("dm", "vs", "ae"):
            client.get("/api/v1/exports/sdtm/qs.csv")  # a session touch that falls due happens here, not below
            with django_assert_max_num_queries(12) as captured:
                body = rows(client.get(f"/api/v1/exports/sdtm/{domain}.csv"))
            counts[(size, domain)] = len(captured)
            assert len(body) > size  # header + at least one row per participant
    assert all(counts[(2, d)] == counts[(6, d)] for d in ("dm", "vs", "ae"))


def _measure(client) -> tuple[int, int, int]:
    response = client.get("/api/v1/exports/sdtm/vs.csv")
    assert isinstance(response, StreamingHttpResponse)
    tracemalloc.start()
    total = chunks = 0
    for chunk in response.streaming_content:
        total += len(chunk)
        chunks += 1
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return total, chunks, peak


def _bulk_vitals(visit, first: int, count: int) -> None:
    from dosing.models import VitalSigns
    from tests.export_data import local

    VitalSigns.objects.bulk_create(  # volume for the memory test, not clinical data entry
        VitalSigns(participant_id=visit.participant_id, visit=visit, timepoint="during_infusion",
                   minutes_after_start=n, measured_at=local(2024, 1, 10, 9, 0) + timedelta(seconds=n),
                   weight_kg="63.5", systolic_bp=120, diastolic_bp=80, heart_rate=70, temperature_c="36.8",
                   respiratory_rate=16, spo2_percent=98)
        for n in range(first, first + count)
    )  # fmt: skip


def test_large_export_streams_with_flat_memory(coordinator, data_manager):
    """10 500 then 31 500 VS rows: the export streams in chunks and peak memory does not grow with the rows."""
    from dosing.models import VitalSigns

    add_participants(coordinator, 1)
    visit = VitalSigns.objects.get().visit
    client = logged_in(data_manager)
    _measure(client)  # warm-up: first-use caches are not the export's memory
    _bulk_vitals(visit, 1, 1500)
    small_total, _chunks, small_peak = _measure(client)
    _bulk_vitals(visit, 1501, 3000)
    total, chunks, peak = _measure(client)
    assert total > 4_200_000 and total > 2.5 * small_total
    assert chunks > 3
    # Flat: bounded by the design, not by the number of rows (10 500 vs 31 500 rows).
    if connection.vendor == "postgresql":
        # COPY: at most 4 chunks of 64 KB queued, 1 held by the worker blocked on the full queue, the
        # parts being gathered and their join (2), 1 being yielded and 1 still held by this loop: 9.
        bound = 10 * CHUNK_BYTES
        assert small_peak < bound and peak < bound, (small_peak, peak)
    else:
        assert peak < small_peak + 4 * CHUNK_BYTES, (
            small_peak,
            peak,
        )  # Python: a fixed number of records read at a time
    assert peak < total / 2


def _boundary_study() -> None:
    """A synthetic study, then values at the edges of each rule, written past the forms (as an older
    import could have): study day -1/1 and local midnight, a 29 February birthday, values missing in
    the middle of a record, blank and CSV-special text, an unknown criterion, odd cell counts."""
    from bench import synthetic
    from dosing.models import Infusion, VitalSigns
    from safety.models import AdverseEvent
    from subjects.models import Participant, Screening, Study

    with time_machine.travel(datetime(2026, 6, 15, 4, 0, tzinfo=UTC), tick=False):
        synthetic.generate_study(participants=40, seed=2018)
    Study.objects.update(dose_per_kg_cells=1_500_000)
    enrolled = Participant.objects.filter(day1_date__isnull=False).order_by("id")
    first, second = enrolled[0], enrolled[1]
    Participant.objects.filter(pk=first.pk).update(date_of_birth=date(2004, 2, 29), sex="", subject_id="")
    Screening.objects.filter(participant=first).update(screening_date=date(2023, 2, 28))
    Screening.objects.filter(participant=second).update(failed_criteria=["no_such_criterion", "inclusion_age"])
    day1 = datetime.combine(first.day1_date, datetime.min.time())
    records = list(VitalSigns.objects.filter(participant=first).order_by("measured_at", "id")[:3])
    for record, moment in zip(records, (day1 - timedelta(minutes=1), day1, day1 + timedelta(hours=16)), strict=True):
        VitalSigns.objects.filter(pk=record.pk).update(measured_at=moment.replace(tzinfo=UTC))
    VitalSigns.objects.filter(pk=records[0].pk).update(weight_kg=None, diastolic_bp=None, spo2_percent=None)
    Infusion.objects.filter(pk=Infusion.objects.filter(participant=first).first().pk).update(
        administered_cells=1, route="", deviation_reason="Lot\rre-checked"
    )
    Infusion.objects.filter(participant=second).update(administered_cells=100_000_000)
    AdverseEvent.objects.filter(pk=AdverseEvent.objects.order_by("id").first().pk).update(term='Rash, "itchy"\r\nhands')
    # an AE of someone never enrolled: no Day 1, so AETRTEM 'N'; left out of the DMC's variant
    never_enrolled = Participant.objects.filter(subject_id__isnull=True, adverse_events__isnull=True).first()
    AdverseEvent.objects.filter(pk=AdverseEvent.objects.order_by("id").last().pk).update(participant=never_enrolled)
    # race and ethnicity collected for some; a death; AEs coded to MedDRA (the fixture's terms)
    Participant.objects.filter(pk=second.pk).update(race="asian", ethnicity="not_hispanic_or_latino")
    Participant.objects.filter(pk=enrolled[2].pk).update(race="multiple", ethnicity="unknown")
    AdverseEvent.objects.filter(pk=AdverseEvent.objects.order_by("id")[1].pk).update(
        outcome="fatal", grade=5, death=True, serious=True, ongoing=False
    )
    from django.core.management import call_command

    from coding.models import LowestLevelTerm

    call_command("load_meddra", str(MEDDRA_FIXTURE), "--loaded-by", "dana", stdout=io.StringIO())
    AdverseEvent.objects.filter(term="Headache").update(coded_llt=LowestLevelTerm.objects.get(code=90400002))
    AdverseEvent.objects.filter(term="Pyrexia").update(coded_llt=LowestLevelTerm.objects.get(code=90300002))
    _boundary_forms(first, never_enrolled, day1)


def _boundary_forms(first, never_enrolled, day1: datetime) -> None:
    """Labs, medications, history and deviations at the edges of the LB, CM, MH and DV rules: an
    unscheduled panel at local midnight, a test not done, numbers with and without trailing zeros,
    partial dates, a start before the collection period, blank and CSV-special text, a deviation
    without a date, a withdrawn one, and records of someone never enrolled."""
    from decimal import Decimal

    from deviations.models import ProtocolDeviation
    from labs.models import LabPanel, LabResult
    from medications.models import ConcomitantMedication, MedicalHistory

    panel = LabPanel.objects.filter(participant=first, visit__isnull=False).order_by("collected_at").last()
    LabPanel.objects.filter(pk=panel.pk).update(visit=None, visit_code="UNS", collected_at=day1.replace(tzinfo=UTC))
    results = list(LabResult.objects.filter(panel=panel).order_by("test_code"))
    LabResult.objects.filter(pk=results[0].pk).update(
        value=None, unit="", value_standard=None, lln=None, uln=None, flag="", ctcae_grade=None, is_baseline=False,
        not_done_reason='Haemolysed, "again"\r\nre-drawn', clinically_significant=None,
    )  # fmt: skip
    LabResult.objects.filter(pk=results[1].pk).update(
        value=Decimal("100"), value_standard=Decimal("1000.000000"), lln=Decimal("0"), uln=Decimal("0.0500")
    )
    LabResult.objects.filter(pk=results[2].pk).update(value=Decimal("0.0001"), clinically_significant=True)
    out_of_range = LabResult.objects.filter(flag__in=("LOW", "HIGH"), clinically_significant__isnull=True)
    LabResult.objects.filter(pk__in=list(out_of_range.values_list("pk", flat=True)[:12])).update(
        clinically_significant=False
    )
    LabResult.objects.filter(pk=LabResult.objects.filter(participant=never_enrolled).first().pk).update(
        clinically_significant=True
    )
    medication = ConcomitantMedication.objects.order_by("id").first()
    ConcomitantMedication.objects.filter(pk=medication.pk).update(
        medication='Ibuprofen, "Advil"\r\n200', indication="", dose=Decimal("0.500"), route="", start_date="2024",
        prohibited_reason="systemic_corticosteroid_dose_unknown",
    )  # fmt: skip
    ConcomitantMedication.objects.filter(pk=ConcomitantMedication.objects.order_by("id")[1].pk).update(
        dose=Decimal("1000.000"), start_date="", end_date="2025-03", ongoing=False, prior_or_concomitant=""
    )
    for m in (first, never_enrolled):
        ConcomitantMedication.objects.create(
            participant=m, medication="Prednisone", medication_class="prednisone", indication="Asthma",
            dose=Decimal("20"), dose_unit="mg", frequency="QD", route="ORAL", start_date="", ongoing=True,
            prior_or_concomitant="concomitant", prohibited_reason="systemic_corticosteroid",
        )  # fmt: skip
    MedicalHistory.objects.create(
        participant=never_enrolled, category="other_condition", term='Asthma, "mild"', start_date="2019-07"
    )
    MedicalHistory.objects.filter(pk=MedicalHistory.objects.order_by("id").first().pk).update(term="", start_date="")
    dated = ProtocolDeviation.objects.filter(deviation_date__isnull=False, withdrawn=False).order_by("id").last()
    ProtocolDeviation.objects.create(  # numbered after the participant's dated deviations
        participant=dated.participant,
        category="other",
        description='Consent re-signed, "v2"\rform',
        deviation_date=None,
    )
    ProtocolDeviation.objects.create(participant=never_enrolled, category="other", description="Late visit",
                                     deviation_date=day1.date() - timedelta(days=40))  # fmt: skip
    ProtocolDeviation.objects.filter(pk=ProtocolDeviation.objects.order_by("id").first().pk).update(withdrawn=True)
    # a second site: its participants sort after site 01's enrolled and before anyone never enrolled
    from subjects.models import Participant

    moved = Participant.objects.filter(subject_id__isnull=False, concomitant_medications__isnull=False)
    moved = moved.exclude(subject_id="").order_by("-id").first()
    Participant.objects.filter(pk=moved.pk).update(site_id="02", usubjid=f"S2018-11-02-{moved.subject_id}")


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York", "Pacific/Kiritimati"])
def test_postgresql_statements_and_python_rows_give_identical_csv(require_postgres, zone):
    """Each dataset's statement (COPY) and its Python rows (the SQLite path) agree byte for byte, in
    any site time zone, for the DMC's variant too."""
    from exports import streaming
    from subjects.models import Study

    _boundary_study()
    Study.objects.update(time_zone=zone)
    streamed = {key for key, dataset in sdtm.DATASETS.items() if dataset.sql is not None}
    assert streamed == {key for key, dataset in sdtm.DATASETS.items() if dataset.subject_level}
    for domain, dataset in sdtm.DATASETS.items():
        if dataset.sql is None:
            continue  # trial design: Python rows on every database
        for safety in (False, True) if dataset.safety else (False,):
            for columns in {dataset.columns(safety=safety), dataset.all_columns}:
                statement = b"".join(dataset.csv_of(columns, safety=safety))
                python = b"".join(streaming.rows_csv(columns, dataset.python_rows(columns, safety=safety)))
                assert statement.count(b"\n") > 20 or domain == "ie", domain
                assert statement == python, (domain, safety, columns)
                assert not re.search(rb'(^|,)""(,|\n)', statement, re.MULTILINE), domain  # blank is missing
            if safety and domain not in ("ex", "suppex"):  # the DMC's variant leaves out people never enrolled
                assert statement.count(b"\n") < b"".join(dataset.csv()).count(b"\n"), domain
