"""The define-like data dictionary is generated from the models and the SDTM mapping."""

from django.test import Client

from tests.conftest import logged_in

URL = "/api/v1/data-dictionary/"


def entry(entries, form, field):
    return next(e for e in entries if e["form"] == form and e["field"] == field)


def test_dictionary_entries(data_manager):
    entries = logged_in(data_manager).get(URL).json()
    systolic = entry(entries, "vital_signs", "systolic_bp")
    assert systolic | {"label": None} == {
        "form": "vital_signs", "form_name": "Vital signs", "domain": "VS", "field": "systolic_bp", "label": None,
        "type": "integer", "max_length": None, "decimal_places": None, "unit": "mmHg", "range": "60..250",
        "choices": None, "required": False, "derived": False, "sdtm_variable": "VSORRES (VSTESTCD=SYSBP)",
    }  # fmt: skip
    assert entry(entries, "vital_signs", "weight_kg")["range"] == "30.0..200.0"
    assert entry(entries, "pasi_assessment", "pasi_total")["sdtm_variable"] == "RSORRES (RSTESTCD=PASITOT)"
    assert entry(entries, "pasi_assessment", "pasi_total")["derived"] is True
    assert entry(entries, "adverse_event", "outcome")["choices"] == [
        "recovered", "recovering", "not_recovered", "recovered_with_sequelae", "fatal", "unknown",
    ]  # fmt: skip
    assert entry(entries, "infusion", "administered_cells")["sdtm_variable"] == "EXDOSE"
    assert entry(entries, "infusion", "dose_deviation")["sdtm_variable"] == "EXDOSDEV"  # in SUPPEX
    assert entry(entries, "participant", "date_of_birth")["sdtm_variable"] == "BRTHDTC, AGE"
    assert entry(entries, "participant", "race")["sdtm_variable"] == "RACE"
    assert entry(entries, "participant", "consent_date")["sdtm_variable"] == "RFICDTC, DSSTDTC"


def test_every_mapping_names_a_variable_of_a_dataset(data_manager):
    """The dictionary's SDTM column comes from the datasets' metadata: each name is a published variable."""
    from exports import sdtm

    names = {v.name for d in sdtm.DATASETS.values() for v in d.variables}
    entries = logged_in(data_manager).get(URL).json()
    mapped = [e["sdtm_variable"] for e in entries if e["sdtm_variable"]]
    assert len(mapped) > 40
    for mapping in mapped:
        for part in mapping.split(", "):
            assert part.split(" (")[0] in names, mapping
    assert {e["form"] for e in entries} == {
        "participant", "screening", "visit", "vital_signs", "pasi_assessment", "infusion", "adverse_event",
        "lab_panel", "lab_result", "concomitant_medication", "medical_history", "protocol_deviation",
    }  # fmt: skip
    bookkeeping = {"id", "created_at", "updated_at", "version"}  # the system's, not CRF items
    assert not [(e["form"], e["field"]) for e in entries if e["field"] in bookkeeping]


def test_dictionary_roles(personas):
    assert Client().get(URL).status_code == 401
    for name in ("coordinator", "investigator", "outsider"):
        assert logged_in(personas[name]).get(URL).status_code == 403, name
    for name in ("data_manager", "api_client_user", "dmc_reviewer", "administrator"):
        assert logged_in(personas[name]).get(URL).status_code == 200, name
