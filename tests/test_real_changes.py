"""Only real changes are written: a PATCH naming a read-only or derived field is refused (400 naming
the field), and a write that changes no stored value writes no history row and returns the record
unchanged (API, browser and the write door itself)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.test import APIClient

from tests.conftest import logged_in
from tests.export_data import build_study_data, later_records
from tests.html_forms import form_values
from tests.test_concurrent_edits import SCREENING_WRITE_FIELDS
from trialsite.audit import audited_save

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2024, 3, 1, 12, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def data(db, coordinator, study):
    built = build_study_data(coordinator)
    # As recording the infusion through its service would have done: the vital signs before it point to it.
    for vitals in built["p1"].vital_signs.filter(timepoint="pre_infusion"):
        vitals.infusion = built["infusion"]
        audited_save(vitals, user=coordinator, reason="Linked to infusion 1")
    built.update(later_records(built["p1"], coordinator))
    return built


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def urls(d) -> dict[str, str]:
    return {
        "participant": "/api/v1/participants/SCR-001/",
        "visit": "/api/v1/participants/SCR-001/visits/W0/",
        "vital_signs": f"/api/v1/vital-signs/{d['p1'].vital_signs.first().pk}/",
        "infusion": f"/api/v1/infusions/{d['infusion'].pk}/",
        "pasi": f"/api/v1/pasi-assessments/{d['pasi'].pk}/",
        "adverse_event": f"/api/v1/adverse-events/{d['chills'].pk}/",
        "lab_result": f"/api/v1/lab-results/{d['lab_result'].pk}/",
        "concomitant_medication": f"/api/v1/concomitant-medications/{d['cm'].pk}/",
        "medical_history": f"/api/v1/medical-history/{d['mh'].pk}/",
        "protocol_deviation": f"/api/v1/protocol-deviations/{d['deviation'].pk}/",
    }


READ_ONLY = [
    ("participant", "status", "enrolled"),
    ("participant", "usubjid", "S2018-11-01-999"),
    ("participant", "baseline_pasi", "3.0"),
    ("participant", "on_safety_hold", True),
    ("participant", "screening_number", "SCR-999"),
    ("participant", "version", 9),
    ("visit", "status", "done"),
    ("visit", "window_start", "2024-01-01"),
    ("vital_signs", "infusion_number", 2),
    ("infusion", "planned_cells", 1),
    ("infusion", "dose_deviation", True),
    ("infusion", "infusion_number", 3),
    ("pasi", "pasi_total", "1.0"),
    ("pasi", "improvement_percent", "50.0"),
    ("adverse_event", "treatment_emergent", False),
    ("adverse_event", "ae_number", 7),
    ("adverse_event", "sae_clock_state", "overdue"),
    ("adverse_event", "causality_assessed_by", "mallory"),
    ("lab_result", "flag", "N"),
    ("lab_result", "ctcae_grade", 0),
    ("lab_result", "value_standard", "1.0"),
    ("lab_result", "is_baseline", True),
    ("lab_result", "prompts_ae", False),
    ("lab_result", "standard_unit", "mmol/L"),
    ("concomitant_medication", "prior_or_concomitant", "concomitant"),
    ("concomitant_medication", "prohibited_reason", "biologic"),
    ("concomitant_medication", "deviation_due", True),
    ("medical_history", "version", 5),
    ("protocol_deviation", "source", "manual"),
    ("protocol_deviation", "withdrawn", True),
]


@pytest.mark.parametrize("resource, field, value", READ_ONLY)
def test_a_patch_naming_a_read_only_or_derived_field_is_refused(data, coordinator, resource, field, value):
    url = urls(data)[resource]
    client = api(coordinator)
    before = client.get(url)
    record_history = _history_total()
    response = client.patch(
        url, {field: value, "reason_for_change": "Probe"}, format="json", HTTP_IF_MATCH=before.headers.get("ETag", "")
    )
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert _history_total() == record_history
    assert client.get(url).json() == before.json()


def test_study_patch_naming_a_read_only_field_is_refused(data, administrator):
    client = api(administrator)
    before = client.get("/api/v1/study/")
    response = client.patch(
        "/api/v1/study/",
        {"study_id": "X-1", "enrolled_count": 0, "reason_for_change": "Probe"},
        format="json",
        HTTP_IF_MATCH=before.headers.get("ETag", ""),
    )
    assert response.status_code == 400
    assert {"study_id", "enrolled_count"} <= set(response.json())


def test_a_screening_put_naming_a_derived_field_is_refused(data, coordinator):
    client = api(coordinator)
    url = "/api/v1/participants/SCR-001/screening/"
    before = client.get(url)
    body = {name: value for name, value in before.json().items() if name in SCREENING_WRITE_FIELDS}
    history = _history_total()
    response = client.put(
        url,
        {**body, "eligible": False, "failed_criteria": ["inclusion_age"], "reason_for_change": "Probe"},
        format="json",
        HTTP_IF_MATCH=before.headers["ETag"],
    )
    assert response.status_code == 400
    assert {"eligible", "failed_criteria"} <= set(response.json())
    assert _history_total() == history


SAME_VALUES = {
    "participant": {"initials": "AB"},
    "visit": {"actual_date": "2024-01-10"},
    "vital_signs": {"heart_rate": 72},
    "infusion": {"product_lot": "LOT-A1"},
    "pasi": {"head_erythema": 2},
    "adverse_event": {"grade": 2, "term": "Chills, infusion-related"},
    "lab_result": {"value": "128", "unit": "U/L"},
    "concomitant_medication": {"indication": "Headache", "dose": "500"},
    "medical_history": {"term": "Hypertension", "start_date": "2015"},
    "protocol_deviation": {"description": "Blood pressure measured after the infusion"},
}


@pytest.mark.parametrize("resource", list(SAME_VALUES))
def test_a_patch_that_changes_nothing_writes_no_history_and_returns_the_record_unchanged(data, coordinator, resource):
    url = urls(data)[resource]
    client = api(coordinator)
    before = client.get(url)
    history = _history_total()
    response = client.patch(
        url,
        {**SAME_VALUES[resource], "reason_for_change": "Probe"},
        format="json",
        HTTP_IF_MATCH=before.headers.get("ETag", ""),
    )
    assert response.status_code == 200, response.content
    assert _history_total() == history
    assert response.json() == before.json()
    assert response.headers.get("ETag") == before.headers.get("ETag")


EDIT_PAGES = {
    "adverse_event": lambda d: f"/safety/adverse-events/{d['chills'].pk}/edit/",
    "lab_result": lambda d: f"/labs/result/{d['lab_result'].pk}/",
    "concomitant_medication": lambda d: f"/medications/concomitant/{d['cm'].pk}/",
    "medical_history": lambda d: f"/medications/history/{d['mh'].pk}/",
    "protocol_deviation": lambda d: f"/deviations/{d['deviation'].pk}/",
}


@pytest.mark.parametrize("page", list(EDIT_PAGES))
def test_an_unchanged_browser_form_writes_no_history(data, coordinator, page):
    client = logged_in(coordinator)
    url = EDIT_PAGES[page](data)
    values = form_values(client.get(url))
    history = _history_total()
    response = client.post(url, {**values, "reason_for_change": "Looked again"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert _history_total() == history


def test_the_write_door_skips_a_save_that_changes_nothing(data, coordinator):
    participant = data["p1"]
    rows = participant.history.count()
    version = participant.version if hasattr(participant, "version") else None
    participant.initials = participant.initials
    audited_save(participant, user=coordinator, reason="Nothing really")
    assert participant.history.count() == rows
    if version is not None:
        assert type(participant).objects.get(pk=participant.pk).version == version


def _history_total() -> int:
    from exports.audit import audited_models

    return sum(model.history.count() for model in audited_models().values())
