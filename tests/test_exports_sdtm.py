"""SDTM-style CSV exports: content against hand-written rows, roles, streaming, logging, query counts."""

import csv
import io
import tracemalloc
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.http import StreamingHttpResponse

from exports.streaming import CHUNK_BYTES
from tests.conftest import logged_in
from tests.export_data import add_participants, build_study_data
from trialsite.models import ExportLog

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


def test_dm(data, data_manager):
    assert export(data_manager, "dm") == [
        ["STUDYID", "DOMAIN", "USUBJID", "SUBJID", "RFSTDTC", "RFICDTC", "SITEID", "BRTHDTC", "AGE", "AGEU", "SEX",
         "ARMCD", "ARM"],
        [S, "DM", U1, "001", "2024-01-10", "2024-01-02", "01", "1980-05-17", "43", "YEARS", "F", "UCMSC",
         "UCMSC 2 x 10^6 cells/kg IV"],
        [S, "DM", "S2018-11-01-SCR-002", "SCR-002", "", "2024-01-02", "01", "1950-02-28", "73", "YEARS", "M",
         "SCRNFAIL", "Screen Failure"],
    ]  # fmt: skip


def test_dm_for_the_dmc_has_no_date_of_birth(data, dmc_reviewer):
    header, first = export(dmc_reviewer, "dm")  # enrolled participants only: subject IDs, no screening numbers
    assert "BRTHDTC" not in header
    assert "1980-05-17" not in first
    assert ExportLog.objects.get(user=dmc_reviewer).query == "safety"


def test_ie_lists_failed_criteria(data, data_manager):
    assert export(data_manager, "ie") == [
        ["STUDYID", "DOMAIN", "USUBJID", "IESEQ", "IETESTCD", "IETEST", "IECAT", "IEORRES", "IESTRESC", "VISITNUM",
         "VISIT", "IEDTC", "IEDY"],
        [S, "IE", "S2018-11-01-SCR-002", "1", "INCL02", "Age on the screening date is outside the allowed range.",
         "INCLUSION", "N", "N", "", "", "2024-02-01", ""],
        [S, "IE", "S2018-11-01-SCR-002", "2", "EXCL02",
         "Exclusion criterion met: Active infection (including HBV, HCV, HIV, active TB).", "EXCLUSION", "Y", "Y",
         "", "", "2024-02-01", ""],
    ]  # fmt: skip


def test_sv_study_days_around_day_1(data, data_manager):
    assert export(data_manager, "sv") == [
        ["STUDYID", "DOMAIN", "USUBJID", "VISITNUM", "VISIT", "SVSTDTC", "SVENDTC", "SVSTDY", "SVENDY"],
        [S, "SV", U1, "0", "SCR", "2024-01-03", "2024-01-03", "-7", "-7"],
        [S, "SV", U1, "1", "W0", "2024-01-10", "2024-01-10", "1", "1"],
    ]


def test_vs_one_row_per_test_in_site_time(data, data_manager):
    header, *body = export(data_manager, "vs")
    assert header == [
        "STUDYID", "DOMAIN", "USUBJID", "VSSEQ", "VSTESTCD", "VSTEST", "VSORRES", "VSORRESU", "VSSTRESC", "VSSTRESN",
        "VSSTRESU", "VSTPT", "VSTPTNUM", "VSELTM", "VSTPTREF", "VISITNUM", "VISIT", "VSDTC", "VSDY",
    ]  # fmt: skip
    pre = ["PRE-INFUSION", "1", "", "INFUSION START", "1", "W0", "2024-01-10T09:00", "1"]
    assert body == [
        [S, "VS", U1, "1", "WEIGHT", "Weight", "63.5", "kg", "63.5", "63.5", "kg", *pre],
        [S, "VS", U1, "2", "SYSBP", "Systolic Blood Pressure", "120", "mmHg", "120", "120", "mmHg", *pre],
        [S, "VS", U1, "3", "DIABP", "Diastolic Blood Pressure", "80", "mmHg", "80", "80", "mmHg", *pre],
        [S, "VS", U1, "4", "PULSE", "Pulse Rate", "72", "beats/min", "72", "72", "beats/min", *pre],
        [S, "VS", U1, "5", "TEMP", "Temperature", "36.8", "C", "36.8", "36.8", "C", *pre],
        [S, "VS", U1, "6", "RESP", "Respiratory Rate", "16", "breaths/min", "16", "16", "breaths/min", *pre],
        [S, "VS", U1, "7", "OXYSAT", "Oxygen Saturation", "98", "%", "98", "98", "%", *pre],
        # 01:30 on 11 Jan in Shanghai (17:30 UTC on 10 Jan) is study day 2
        [S, "VS", U1, "8", "WEIGHT", "Weight", "64.0", "kg", "64.0", "64.0", "kg", "", "", "", "", "1", "W0",
         "2024-01-11T01:30", "2"],
        [S, "VS", U1, "9", "PULSE", "Pulse Rate", "70", "beats/min", "70", "70", "beats/min", "", "", "", "", "1",
         "W0", "2024-01-11T01:30", "2"],
    ]  # fmt: skip


def test_ex_dose_in_millions_of_cells(data, data_manager):
    assert export(data_manager, "ex") == [
        ["STUDYID", "DOMAIN", "USUBJID", "EXSEQ", "EXTRT", "EXDOSE", "EXDOSU", "EXDOSFRM", "EXROUTE", "EXLOT",
         "VISITNUM", "VISIT", "EXSTDTC", "EXENDTC", "EXSTDY", "EXENDY", "EXDOSDEV", "EXADJ"],
        [S, "EX", U1, "1", "UCMSC", "126.5", "10^6 cells", "SUSPENSION", "INTRAVENOUS", "LOT-A1", "1", "W0",
         "2024-01-10T09:15", "2024-01-10T09:45", "1", "1", "N", ""],
    ]  # fmt: skip


def test_rs_pasi_block_with_total(data, data_manager):
    header, *body = export(data_manager, "rs")
    assert header == [
        "STUDYID", "DOMAIN", "USUBJID", "RSSEQ", "RSTESTCD", "RSTEST", "RSCAT", "RSORRES", "RSORRESU", "RSSTRESC",
        "RSSTRESN", "VISITNUM", "VISIT", "RSDTC", "RSDY",
    ]  # fmt: skip
    tail = ["1", "W0", "2024-01-11", "2"]
    assert [row[3:11] for row in body] == [
        ["1", "HEADERY", "Head and Neck Erythema", "PASI", "2", "", "2", "2"],
        ["2", "HEADIND", "Head and Neck Induration", "PASI", "1", "", "1", "1"],
        ["3", "HEADDESQ", "Head and Neck Desquamation", "PASI", "1", "", "1", "1"],
        ["4", "HEADPCT", "Head and Neck Area Involved", "PASI", "15.0", "%", "15.0", "15.0"],
        ["5", "HEADAREA", "Head and Neck Area Score", "PASI", "2", "", "2", "2"],
        ["6", "UPLBERY", "Upper Limbs Erythema", "PASI", "1", "", "1", "1"],
        ["7", "UPLBIND", "Upper Limbs Induration", "PASI", "1", "", "1", "1"],
        ["8", "UPLBDESQ", "Upper Limbs Desquamation", "PASI", "1", "", "1", "1"],
        # upper limbs area entered as a score only: no UPLBPCT row
        ["9", "UPLBAREA", "Upper Limbs Area Score", "PASI", "1", "", "1", "1"],
        ["10", "TRNKERY", "Trunk Erythema", "PASI", "2", "", "2", "2"],
        ["11", "TRNKIND", "Trunk Induration", "PASI", "2", "", "2", "2"],
        ["12", "TRNKDESQ", "Trunk Desquamation", "PASI", "2", "", "2", "2"],
        ["13", "TRNKPCT", "Trunk Area Involved", "PASI", "35.0", "%", "35.0", "35.0"],
        ["14", "TRNKAREA", "Trunk Area Score", "PASI", "3", "", "3", "3"],
        ["15", "LOLBERY", "Lower Limbs Erythema", "PASI", "3", "", "3", "3"],
        ["16", "LOLBIND", "Lower Limbs Induration", "PASI", "2", "", "2", "2"],
        ["17", "LOLBDESQ", "Lower Limbs Desquamation", "PASI", "2", "", "2", "2"],
        ["18", "LOLBPCT", "Lower Limbs Area Involved", "PASI", "55.0", "%", "55.0", "55.0"],
        ["19", "LOLBAREA", "Lower Limbs Area Score", "PASI", "4", "", "4", "4"],
        ["20", "PASITOT", "PASI Total Score", "PASI", "18.0", "", "18.0", "18.0"],
    ]
    assert all(row[:3] == [S, "RS", U1] and row[11:] == tail for row in body)


def test_ae_cdisc_terms_and_study_days(data, data_manager):
    assert export(data_manager, "ae") == [
        ["STUDYID", "DOMAIN", "USUBJID", "AESEQ", "AETERM", "AEDECOD", "AESTDTC", "AEENDTC", "AEENRF", "AETOXGR",
         "AESER", "AESDTH", "AESLIFE", "AESHOSP", "AESDISAB", "AESCONG", "AESMIE", "AEREL", "AEACN", "AEOUT",
         "AESTDY", "AEENDY", "AETRTEM"],
        [S, "AE", U1, "1", "Headache", "Headache", "2024-01-09", "2024-01-11", "", "1", "N", "N", "N", "N", "N", "N",
         "N", "NOT RELATED", "NOT APPLICABLE", "RECOVERED/RESOLVED", "-1", "2", "N"],
        [S, "AE", U1, "2", "Chills, infusion-related", "Chills, infusion-related", "2024-01-10", "", "ONGOING", "2",
         "N", "N", "N", "N", "N", "N", "N", "PROBABLE", "DOSE NOT CHANGED", "RECOVERING/RESOLVING", "1", "", "Y"],
    ]  # fmt: skip


def test_study_configuration_is_read_by_the_dataset_query(data, data_manager, administrator):
    """The arm's dose and the site time zone come from the study configuration as it is when the
    dataset is read (by the dataset's own statement), not from a copy taken earlier."""
    from subjects.services import study_update

    export(data_manager, "dm")
    study_update(user=administrator, reason="Amendment 3", dose_per_kg_cells=1_500_000, time_zone="UTC")
    _header, first, _second = export(data_manager, "dm")
    assert first[-1] == "UCMSC 1.5 x 10^6 cells/kg IV"
    _header, *body = export(data_manager, "vs")
    # 09:00 in Shanghai is 01:00 UTC; 01:30 on 11 Jan in Shanghai is 17:30 UTC on 10 Jan: study day 1
    assert (body[0][17], body[0][18]) == ("2024-01-10T01:00", "1")
    assert (body[-1][17], body[-1][18]) == ("2024-01-10T17:30", "1")


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


@pytest.mark.parametrize("domain", ["dm", "ie", "sv", "vs", "ex", "rs", "ae"])
def test_every_download_is_logged(data, api_client_user, domain):
    export(api_client_user, domain)
    log = ExportLog.objects.get()
    assert (log.user, log.export) == (api_client_user, f"sdtm/{domain}.csv")


@pytest.mark.parametrize("domain", ["ie", "sv", "vs", "rs"])
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


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York", "Pacific/Kiritimati"])
def test_postgresql_statements_and_python_rows_give_identical_csv(require_postgres, zone):
    """Each dataset's statement (COPY) and its Python rows (the SQLite path) agree byte for byte, in
    any site time zone, for the DMC's variant too."""
    from exports import sdtm, streaming
    from subjects.models import Study

    _boundary_study()
    Study.objects.update(time_zone=zone)
    for domain, dataset in sdtm.DATASETS.items():
        for safety in (False, True) if domain in sdtm.SAFETY_DOMAINS else (False,):
            statement = b"".join(dataset.csv(safety=safety))
            columns = tuple(name for name in dataset.columns if not (safety and name in sdtm.SAFETY_HIDDEN))
            python = b"".join(streaming.rows_csv(columns, dataset.python_rows(columns, safety=safety)))
            assert statement.count(b"\n") > 20 or domain == "ie", domain
            assert statement == python, (domain, safety)
            if safety and domain != "ex":  # the DMC's variant leaves out people never enrolled
                assert statement.count(b"\n") < b"".join(dataset.csv()).count(b"\n"), domain
