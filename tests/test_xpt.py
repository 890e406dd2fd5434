"""SAS XPORT v5 writer: files read back by two independent readers (readstat through pyreadstat, and
pandas' own XPORT reader) with the values, lengths and labels written."""

import math
from datetime import UTC, datetime
from decimal import Decimal

import pandas
import pyreadstat
import pytest

from exports.xpt import XptError, XptVariable, ibm_double, xpt_chunks

CREATED = datetime(2024, 3, 5, 14, 7, 9, tzinfo=UTC)
LONG_TEXT = "Transient headache after the second infusion, resolved without treatment; " * 2  # 150 characters
VARIABLES = [
    XptVariable("STUDYID", "Study Identifier", "char", 8),
    XptVariable("USUBJID", "Unique Subject Identifier", "char", 15),
    XptVariable("VSSEQ", "Sequence Number", "num"),
    XptVariable("VSTESTCD", "Vital Signs Test Short Name", "char", 8),
    XptVariable("VSSTRESN", "Numeric Result/Finding in Standard Units", "num"),
    XptVariable("VSDY", "Study Day of Vital Signs", "num"),
    XptVariable("VSCOMM", "Comment", "char", 200),
]
ROWS = [
    ("S2018-11", "S2018-11-01-001", 1, "WEIGHT", Decimal("72"), -28, ""),
    ("S2018-11", "S2018-11-01-001", 2, "SYSBP", Decimal("126.5"), -1, LONG_TEXT),
    ("S2018-11", "S2018-11-01-001", 3, "TEMP", 36.8, 1, None),
    ("S2018-11", "S2018-11-01-002", 4, "PULSE", None, 85, "  leading blanks kept"),
    ("S2018-11", "S2018-11-01-002", 5, "OXYSAT", "-0.125", None, "x"),
]


def write(tmp_path, rows=ROWS, variables=VARIABLES, **options):
    path = tmp_path / "vs.xpt"
    chunks = list(
        xpt_chunks(dataset="VS", label="Vital Signs", variables=variables, rows=rows, created=CREATED, **options)
    )
    path.write_bytes(b"".join(chunks))
    return path, chunks


@pytest.mark.parametrize(
    "value, hex_bytes",
    [
        (0, "0000000000000000"),
        (1, "4110000000000000"),
        (-118.625, "C276A00000000000"),  # the textbook example of the IBM System/360 format
        (0.1, "401999999999999A"),
        (126.5, "427E800000000000"),
        (-28, "C21C000000000000"),
    ],
)
def test_ibm_double_known_values(value, hex_bytes):
    assert ibm_double(value).hex().upper() == hex_bytes


def test_readstat_reads_back_values_names_labels_and_lengths(tmp_path):
    path, _ = write(tmp_path)
    assert path.stat().st_size % 80 == 0
    frame, meta = pyreadstat.read_xport(str(path))
    assert meta.table_name == "VS" and meta.file_label == "Vital Signs"
    assert meta.column_names == [v.name for v in VARIABLES]
    assert meta.column_labels == [v.label for v in VARIABLES]
    assert meta.readstat_variable_types == {
        "STUDYID": "string",
        "USUBJID": "string",
        "VSSEQ": "double",
        "VSTESTCD": "string",
        "VSSTRESN": "double",
        "VSDY": "double",
        "VSCOMM": "string",
    }
    assert meta.variable_storage_width == {v.name: v.length for v in VARIABLES}
    assert meta.number_rows == 5
    assert frame["VSSEQ"].tolist() == [1, 2, 3, 4, 5]
    assert frame["VSDY"].tolist()[:4] == [-28, -1, 1, 85] and math.isnan(frame["VSDY"][4])
    stresn = frame["VSSTRESN"].tolist()
    assert stresn[:3] == [72, 126.5, 36.8] and math.isnan(stresn[3]) and stresn[4] == -0.125
    assert frame["VSTESTCD"].tolist() == ["WEIGHT", "SYSBP", "TEMP", "PULSE", "OXYSAT"]
    assert frame["VSCOMM"].tolist() == ["", LONG_TEXT.rstrip(), "", "  leading blanks kept", "x"]


def test_pandas_reads_back_the_same_values(tmp_path):
    path, _ = write(tmp_path)
    with pandas.read_sas(str(path), format="xport", encoding="ascii", iterator=True) as reader:
        frame = reader.read()
        assert reader.member_info["label"] == "Vital Signs"
        assert reader.member_info["created"] == datetime(2024, 3, 5, 14, 7, 9)
        assert [field["label"].decode() for field in reader.fields] == [v.label for v in VARIABLES]
    assert list(frame.columns) == [v.name for v in VARIABLES]
    assert frame["USUBJID"].tolist() == [row[1] for row in ROWS]
    assert frame["VSSTRESN"].tolist()[:3] == [72, 126.5, 36.8]
    assert frame["VSDY"].tolist()[:4] == [-28, -1, 1, 85] and math.isnan(frame["VSDY"][4])


def test_rows_stream_through_in_chunks(tmp_path):
    consumed = 0

    def rows():
        nonlocal consumed
        for number in range(1, 5001):
            consumed += 1
            yield ("S2018-11", f"S2018-11-{number:06}", number, "PULSE", Decimal(number) / 8, number - 100, "")

    chunks = xpt_chunks(dataset="VS", label="Vital Signs", variables=VARIABLES, rows=rows(), chunk_size=4096)
    first = [next(chunks) for _ in range(3)]  # the headers, then the first rows
    assert consumed < 100 and all(len(chunk) < 4096 + 300 for chunk in first)
    path = tmp_path / "vs.xpt"
    path.write_bytes(b"".join(first) + b"".join(chunks))
    assert consumed == 5000
    frame, meta = pyreadstat.read_xport(str(path))
    assert meta.number_rows == 5000
    assert frame["VSSTRESN"].tolist() == [number / 8 for number in range(1, 5001)]
    assert frame["USUBJID"].iloc[-1] == "S2018-11-005000"


def test_a_dataset_without_rows_is_a_valid_file(tmp_path):
    path, chunks = write(tmp_path, rows=[])
    assert len(chunks) == 1
    frame, meta = pyreadstat.read_xport(str(path))
    assert meta.number_rows in (0, None) and len(frame) == 0
    assert meta.column_names == [v.name for v in VARIABLES]


def test_the_header_dates_use_english_month_names(tmp_path):
    _, chunks = write(tmp_path)
    assert chunks[0][80 + 64 : 80 + 80] == b"05MAR24:14:07:09"


@pytest.mark.parametrize(
    "row, message",
    [
        (
            ("S2018-11", "S2018-11-01-003", 6, "TEMP", 37, 3, "头痛"),
            r"^VS observation 2, variable VSCOMM: '头' is not printable ASCII",
        ),
        (
            ("S2018-11", "S2018-11-01-003", 6, "TEMP", 37, 3, "line\nbreak"),
            r"^VS observation 2, variable VSCOMM: '\\n' is not printable ASCII",
        ),
        (
            ("S2018-11", "S2018-11-01-0031", 6, "TEMP", 37, 3, ""),
            r"variable USUBJID: 16 characters, longer than its length 15",
        ),
        (("S2018-11", "S2018-11-01-003", 6, "TEMP", "37,5", 3, ""), r"variable VSSTRESN: '37,5' is not a number"),
        (("S2018-11", "S2018-11-01-003", True, "TEMP", 37, 3, ""), r"variable VSSEQ: expected a number, got bool"),
        (("S2018-11", "S2018-11-01-003", 6, 7, 37, 3, ""), r"variable VSTESTCD: expected text, got int"),
        (("S2018-11", "S2018-11-01-003", 6, "TEMP", float("inf"), 3, ""), r"variable VSSTRESN: inf has no IBM"),
        (("S2018-11", "S2018-11-01-003", 6, "TEMP", 1e80, 3, ""), r"VSSTRESN: 1e\+80 is outside the IBM"),
        (("S2018-11", "S2018-11-01-003", 6), r"^VS observation 2: 3 values for 7 variables"),
    ],
)
def test_a_value_that_cannot_be_written_is_refused_with_its_observation_and_variable(tmp_path, row, message):
    with pytest.raises(XptError, match=message):
        write(tmp_path, rows=[ROWS[0], row])


def test_nan_is_missing(tmp_path):
    path, _ = write(tmp_path, rows=[("S2018-11", "S2018-11-01-001", float("nan"), "T", Decimal("NaN"), "", "")])
    frame, _ = pyreadstat.read_xport(str(path))
    assert frame[["VSSEQ", "VSSTRESN", "VSDY"]].isna().all(axis=None)


@pytest.mark.parametrize(
    "dataset, label, variables, message",
    [
        ("vs", "Vital Signs", VARIABLES, r"dataset name 'vs': 1–8 capital letters"),
        ("SUPPVSXYZ", "Vital Signs", VARIABLES, r"dataset name 'SUPPVSXYZ'"),
        ("VS", "Vital Signs " * 4, VARIABLES, r"dataset VS label .*: 48 characters, at most 40"),
        ("VS", "Signes vitaux (données)", VARIABLES, r"dataset VS label .*: printable ASCII only"),
        ("VS", "Vital Signs", [], r"dataset VS has no variables"),
        ("VS", "Vital Signs", [XptVariable("1ST", "First", "num")], r"variable name '1ST'"),
        ("VS", "Vital Signs", [XptVariable("VSTESTCDX", "Long", "char", 8)], r"variable name 'VSTESTCDX'"),
        (
            "VS",
            "Vital Signs",
            [XptVariable("VSORRES", "R" * 41, "char", 8)],
            r"variable VSORRES label .*: 41 characters",
        ),
        ("VS", "Vital Signs", [XptVariable("VSORRES", "Result", "char", 201)], r"VSORRES length 201: 1 to 200"),
        ("VS", "Vital Signs", [XptVariable("VSORRES", "Result", "char", 0)], r"VSORRES length 0: 1 to 200"),
        ("VS", "Vital Signs", [XptVariable("VSDY", "Study Day", "num", 4)], r"numeric variable VSDY has length 8"),
        ("VS", "Vital Signs", [XptVariable("VSDY", "Study Day", "date")], r"VSDY type 'date': 'char' or 'num'"),
        (
            "VS",
            "Vital Signs",
            [XptVariable("VSDY", "Day", "num"), XptVariable("VSDY", "Day", "num")],
            r"VSDY appears twice",
        ),
    ],
)
def test_metadata_is_checked_before_the_first_byte(dataset, label, variables, message):
    rows_read = []
    with pytest.raises(XptError, match=message):
        xpt_chunks(dataset=dataset, label=label, variables=variables, rows=rows_read)
