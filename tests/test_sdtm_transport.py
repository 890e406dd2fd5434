"""SAS XPORT v5 files, the submission ZIP and define.xml: read back by independent readers and compared
with the CSV exports; refusals of what a V5 file cannot hold; roles; bounded memory."""

import csv
import io
import math
import tracemalloc
import zipfile
from datetime import timedelta
from pathlib import Path

import pandas
import pyreadstat
import pytest
from django.core.management import call_command
from django.test import Client
from lxml import etree

from exports import sdtm
from exports.streaming import CHUNK_BYTES
from safety.ae_coding import adverse_events_auto_code
from tests.conftest import logged_in
from tests.define_schema import define_21_schema, schema_errors
from tests.export_data import add_participants, build_study_data
from trialsite.models import ExportLog

MEDDRA_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "meddra"
NS = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1"}


@pytest.fixture
def data(coordinator, data_manager):
    built = build_study_data(coordinator)
    call_command("load_meddra", str(MEDDRA_FIXTURE), "--loaded-by", "dana", stdout=io.StringIO())
    adverse_events_auto_code(user=data_manager)
    return built


def body(response) -> bytes:
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_of(user, key) -> list[dict[str, str]]:
    text = body(logged_in(user).get(f"/api/v1/exports/sdtm/{key}.csv")).decode()
    return list(csv.DictReader(io.StringIO(text)))


def assert_xpt_equals_csv(path: Path, dataset, rows: list[dict[str, str]]) -> None:
    frame, meta = pyreadstat.read_xport(str(path))
    assert meta.table_name == dataset.name and meta.file_label == dataset.label
    columns = list(rows[0]) if rows else list(dataset.columns())
    assert meta.column_names == columns
    labels = {v.name: v.label for v in dataset.variables}
    assert meta.column_labels == [labels[name] for name in columns]
    assert meta.number_rows == len(rows)
    for name in columns:
        variable = dataset.variable_index[name]
        read = frame[name].tolist()
        expected = [row[name] for row in rows]
        if variable.numeric:
            assert meta.readstat_variable_types[name] == "double", name
            assert [None if math.isnan(v) else v for v in read] == [float(v) if v else None for v in expected], name
        else:
            assert meta.variable_storage_width[name] == max([1, *(len(v) for v in expected)]), name
            assert read == expected, name


def test_every_dataset_as_xpt_reads_back_as_its_csv(data, data_manager, tmp_path):
    for key, dataset in sdtm.DATASETS.items():
        response = logged_in(data_manager).get(f"/api/v1/exports/sdtm/{key}.xpt")
        assert response["Content-Disposition"] == f'attachment; filename="{key}.xpt"'
        path = tmp_path / f"{key}.xpt"
        path.write_bytes(body(response))
        assert path.stat().st_size % 80 == 0
        assert_xpt_equals_csv(path, dataset, csv_of(data_manager, key))
    # pandas' own XPORT reader agrees (a second, independent implementation), on every dataset
    frame = pandas.read_sas(tmp_path / "ae.xpt", format="xport", encoding="ascii")
    assert frame["AEDECOD"].tolist() == ["Headache", ""] and frame["AESEQ"].tolist() == [1.0, 2.0]
    for key, dataset in sdtm.DATASETS.items():
        rows = csv_of(data_manager, key)
        if not rows:
            continue  # pandas reads a file without observations as no columns at all
        frame = pandas.read_sas(tmp_path / f"{key}.xpt", format="xport", encoding="ascii")
        assert list(frame.columns) == list(rows[0]), key
        # pandas guesses where the data ends from the blanks in the last 80-byte card when an observation is
        # shorter than a card, and drops a last observation that ends in blanks (SV here): pyreadstat reads
        # every one (above); pandas must agree on the observations it reads.
        width = sum(8 if dataset.variable_index[n].numeric else max(1, *(len(r[n]) for r in rows)) for n in rows[0])
        assert len(frame) == len(rows) or (width < 80 and len(frame) == len(rows) - 1), key
        rows = rows[: len(frame)]
        for name in frame.columns:
            read = frame[name].tolist()
            if dataset.variable_index[name].numeric:
                # pandas converts the IBM zero (8 zero bytes) to 16 ** -65 (5.4e-79): read that as 0
                read = ["" if math.isnan(v) else format(0.0 if abs(v) < 1e-78 else v, "g") for v in read]
                expected = [format(float(row[name]), "g") if row[name] else "" for row in rows]
            else:
                expected = [row[name] for row in rows]
            assert read == expected, (key, name)
    assert ExportLog.objects.filter(export="sdtm/ae.xpt").exists()


def test_the_dmc_gets_the_safety_variant_as_xpt(data, dmc_reviewer, tmp_path):
    path = tmp_path / "dm.xpt"
    path.write_bytes(body(logged_in(dmc_reviewer).get("/api/v1/exports/sdtm/dm.xpt")))
    _frame, meta = pyreadstat.read_xport(str(path))
    assert "BRTHDTC" not in meta.column_names and meta.number_rows == 1  # enrolled only
    assert logged_in(dmc_reviewer).get("/api/v1/exports/sdtm/vs.xpt").status_code == 403


def test_a_chinese_verbatim_term_is_refused_naming_the_record(data, data_manager):
    from safety.models import AdverseEvent

    AdverseEvent.objects.filter(pk=data["chills"].pk).update(term="寒战")
    response = logged_in(data_manager).get("/api/v1/exports/sdtm/ae.xpt")
    assert response.status_code == 409
    problem = response.json()
    assert (problem["dataset"], problem["variable"], problem["record"]) == (
        "AE", "AETERM", {"USUBJID": "S2018-11-01-001", "AESEQ": "2"}
    )  # fmt: skip
    assert "not printable ASCII" in problem["detail"] and "reason for the change" in problem["to_do"]
    assert logged_in(data_manager).get("/api/v1/exports/sdtm.zip").status_code == 409
    assert csv_of(data_manager, "ae")[1]["AETERM"] == "寒战"  # the CSV keeps the value as entered
    assert not ExportLog.objects.filter(export__in=["sdtm/ae.xpt", "sdtm.zip"]).exists()


def test_a_value_over_200_characters_is_refused(data, data_manager):
    from subjects.models import Participant

    Participant.objects.filter(pk=data["p1"].pk).update(
        status="withdrawn", withdrawal_date=data["p1"].day1_date, withdrawal_reason="x" * 201
    )
    problem = logged_in(data_manager).get("/api/v1/exports/sdtm/ds.xpt").json()
    assert (problem["variable"], problem["problem"]) == ("DSTERM", "201 characters, more than 200")


def test_the_package_holds_every_xpt_define_and_a_readme(data, data_manager, tmp_path):
    archive = zipfile.ZipFile(io.BytesIO(body(logged_in(data_manager).get("/api/v1/exports/sdtm.zip"))))
    assert archive.testzip() is None
    assert archive.namelist() == ["define.xml", "README.txt", *(f"{key}.xpt" for key in sdtm.DATASETS)]
    for key, dataset in sdtm.DATASETS.items():
        path = tmp_path / f"{key}.xpt"
        path.write_bytes(archive.read(f"{key}.xpt"))
        assert_xpt_equals_csv(path, dataset, csv_of(data_manager, key))
    readme = archive.read("README.txt").decode("ascii")
    assert "SDTMIG 3.4" in readme and "MedDRA 0.1" in readme and "1 adverse event(s) not coded yet" in readme
    define = archive.read("define.xml")
    assert schema_errors(define_21_schema(), define) == []
    assert ExportLog.objects.filter(user=data_manager, export="sdtm.zip").count() == 1


def test_define_xml_describes_every_dataset_and_variable_as_the_xpt_files_hold_them(data, data_manager, tmp_path):
    document = body(logged_in(data_manager).get("/api/v1/exports/define.xml"))
    assert schema_errors(define_21_schema(), document) == []
    root = etree.fromstring(document)
    groups = root.findall(".//odm:ItemGroupDef", NS)
    assert [g.get("Name") for g in groups] == [d.name for d in sdtm.DATASETS.values()]
    items = {i.get("OID"): i for i in root.findall(".//odm:ItemDef", NS)}
    for group in groups:
        dataset = sdtm.DATASETS[group.get("Name").lower()]
        refs = [items[ref.get("ItemOID")] for ref in group.findall("odm:ItemRef", NS)]
        assert [i.get("Name") for i in refs] == list(dataset.columns())
        path = tmp_path / f"{dataset.key}.xpt"
        path.write_bytes(body(logged_in(data_manager).get(f"/api/v1/exports/sdtm/{dataset.key}.xpt")))
        _frame, meta = pyreadstat.read_xport(str(path))
        for item in refs:
            if item.get("DataType") == "text":  # define.xml declares the lengths the XPT file has
                assert int(item.get("Length")) == meta.variable_storage_width[item.get("Name")], item.get("OID")
        assert group.find("def:leaf", NS).get("{http://www.w3.org/1999/xlink}href") == f"{dataset.key}.xpt"
    # origins, methods, value-level metadata, codelists and MedDRA as an external dictionary
    origin = {i.get("OID"): i.find("def:Origin", NS).get("Type") for i in items.values()}
    assert (origin["IT.AE.AETERM"], origin["IT.VS.VSDY"], origin["IT.DM.ARMCD"], origin["IT.TS.TSVAL"]) == (
        "Collected", "Derived", "Assigned", "Protocol"
    )  # fmt: skip
    methods = {m.get("OID") for m in root.findall(".//odm:MethodDef", NS)}
    assert {"MT.STUDYDAY", "MT.AGE", "MT.EPOCH", "MT.PASI", "MT.LOBXFL", "MT.TRTEM"} <= methods
    tests = {r.find("odm:CheckValue", NS).text for r in root.findall(".//def:WhereClauseDef/odm:RangeCheck", NS)}
    assert {"SYSBP", "WEIGHT", "PASITOT", "HEADPCT", "HGB", "CREAT", "AETRTEM", "EXDOSDEV", "LBCLSIG"} <= tests
    creat = {i.get("OID"): i.find("odm:Description/odm:TranslatedText", NS).text for i in items.values()}
    assert (creat["IT.LB.LBORRES.CREAT"], creat["IT.LB.LBSTRESN.CREAT"]) == (
        "Creatinine (umol/L or mg/dL)", "Creatinine (umol/L)"
    )  # fmt: skip
    meddra = root.find(".//odm:CodeList[@OID='CL.MEDDRA']/odm:ExternalCodeList", NS)
    assert (meddra.get("Dictionary"), meddra.get("Version")) == ("MEDDRA", "0.1")
    enrolled = root.find(".//odm:CodeList[@OID='CL.DSDECOD']/odm:EnumeratedItem[@CodedValue='ENROLLED']", NS)
    assert enrolled.get("{http://www.cdisc.org/ns/def/v2.1}ExtendedValue") == "Yes"


@pytest.mark.parametrize("url", ["/api/v1/exports/sdtm.zip", "/api/v1/exports/define.xml"])
def test_package_and_define_roles(data, personas, url):
    assert Client().get(url).status_code == 401
    for name in ("coordinator", "investigator", "dmc_reviewer", "outsider"):
        assert logged_in(personas[name]).get(url).status_code == 403, name
    for name in ("data_manager", "api_client_user", "administrator"):
        assert logged_in(personas[name]).get(url).status_code == 200, name


def test_unknown_domain_as_xpt_is_404(data_manager):
    assert logged_in(data_manager).get("/api/v1/exports/sdtm/qs.xpt").status_code == 404


@pytest.mark.slow
def test_xpt_streams_with_flat_memory(coordinator, data_manager):
    """The XPT of 7 000 then 21 000 VS rows: peak memory does not grow with the rows."""
    from dosing.models import VitalSigns
    from tests.export_data import local

    add_participants(coordinator, 1)
    visit = VitalSigns.objects.get().visit
    client = logged_in(data_manager)

    def bulk(first, count):
        VitalSigns.objects.bulk_create(  # volume, not clinical data entry
            VitalSigns(participant_id=visit.participant_id, visit=visit, timepoint="during_infusion",
                       minutes_after_start=n, measured_at=local(2024, 1, 10, 9, 0) + timedelta(seconds=n),
                       weight_kg="63.5", systolic_bp=120, diastolic_bp=80, heart_rate=70, temperature_c="36.8",
                       respiratory_rate=16, spo2_percent=98)
            for n in range(first, first + count)
        )  # fmt: skip

    def measure():
        response = client.get("/api/v1/exports/sdtm/vs.xpt")
        tracemalloc.start()
        total = sum(len(chunk) for chunk in response.streaming_content)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return total, peak

    measure()
    bulk(1, 1000)
    small_total, small_peak = measure()
    bulk(1001, 2000)
    total, peak = measure()
    assert total > 2.5 * small_total
    assert peak < small_peak + 6 * CHUNK_BYTES and peak < total / 4, (small_peak, peak, total)
