"""Define-XML 2.1 and ODM 1.3.2 schema validation, offline (tests/define_schema.py)."""

from pathlib import Path

import pytest

from tests.conftest import logged_in
from tests.define_schema import define_21_schema, odm_132_schema, schema_errors
from tests.export_data import build_study_data

MINIMAL_DEFINE = (Path(__file__).resolve().parent / "fixtures" / "define" / "minimal-define-2.1.xml").read_bytes()


def test_a_minimal_define_xml_is_valid():
    assert schema_errors(define_21_schema(), MINIMAL_DEFINE) == []


@pytest.mark.parametrize(
    "change, message",
    [
        ((b' def:Context="Submission"', b""), "attribute '{http://www.cdisc.org/ns/def/v2.1}Context' is required"),
        ((b' def:DefineVersion="2.1.0"', b""), "DefineVersion' is required but missing"),
        ((b'Type="Derived"', b'Type="Calculated"'), "The value 'Calculated' is not an element of the set"),
        ((b'DataType="integer"', b'DataType="number"'), "The value 'number' is not an element of the set"),
        ((b'<def:Class Name="FINDINGS"/>', b'<def:Class Name="FINDING"/>'), "'FINDING' is not an element"),
        ((b' Length="8" SASFieldName="VSDY"', b' Length="eight" SASFieldName="VSDY"'), "'eight' is not a valid value"),
        ((b"<def:Origin", b"<def:Origins"), "Origins': This element is not expected"),
    ],
)
def test_an_invalid_define_xml_is_rejected_with_the_reason(change, message):
    document = MINIMAL_DEFINE.replace(*change, 1)
    assert document != MINIMAL_DEFINE
    errors = schema_errors(define_21_schema(), document)
    assert errors and message in errors[0], errors


def test_define_xml_is_not_plain_odm():
    """The def: extensions are not in the ODM schema: each document goes to its own schema."""
    errors = schema_errors(odm_132_schema(), MINIMAL_DEFINE)
    assert errors and "def/v2.1}Context' is not allowed" in errors[0], errors


def test_the_odm_export_is_valid_odm_1_3_2(coordinator, data_manager):
    build_study_data(coordinator)
    response = logged_in(data_manager).get("/api/v1/exports/odm.xml")
    assert response.status_code == 200
    assert schema_errors(odm_132_schema(), b"".join(response.streaming_content)) == []
