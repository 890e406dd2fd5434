"""Optimistic concurrency: a save against a record someone changed after it was read is refused.

Browser: every edit form carries the version it was read at; a stale save writes nothing and shows
the form again with the other user's change (who, what, when) and the user's own input kept.
API: every clinical resource answers with an ETag; PATCH/PUT need If-Match (missing: 428, stale:
412 with the current ETag); of two writes from the same read exactly one succeeds, whatever the timing.
"""

import re
import threading
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from assessments.models import PasiAssessment
from dosing.models import Infusion, VitalSigns
from safety.models import AdverseEvent, SafetyHold
from subjects.models import Participant, Screening, Study, Visit
from tests import factories
from tests.conftest import PASSWORD, logged_in, make_user
from tests.export_data import build_study_data, later_records
from tests.html_forms import form_values
from trialsite.audit import audited_save
from trialsite.records import RECORD_TYPES
from trialsite.roles import Role

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2024, 3, 1, 12, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def data(db, coordinator, study):
    built = build_study_data(coordinator)
    ae = built["chills"]
    built["hold"] = audited_save(
        SafetyHold(participant=built["p1"], adverse_event=ae, placed_at=NOW, reason="Related grade 3"), user=coordinator
    )
    built.update(later_records(built["p1"], coordinator))
    return built


def _reload(record):
    return type(record).objects.get(pk=record.pk)


def _change(record, user, **values):
    """Another user's change, through the one write door (audited, versioned)."""
    record = _reload(record)
    for name, value in values.items():
        setattr(record, name, value)
    return audited_save(record, user=user, reason="Source document checked")


# (url, record, who edits in the browser, what they change, what someone else changed meanwhile)
FORMS = {
    "participant": (
        "/participants/SCR-001/edit/",
        lambda d: d["p1"],
        "coordinator",
        {"consent_version": "1.1"},
        {"initials": "XY"},
    ),
    "screening": (
        "/participants/SCR-001/screening/",
        lambda d: Screening.objects.get(participant=d["p1"]),
        "coordinator",
        {"height_cm": "169.0"},
        {"weight_kg": "64.0"},
    ),
    "visit": (
        "/participants/SCR-001/visits/W2/",
        lambda d: Visit.objects.get(participant=d["p1"], visit_code="W2"),
        "coordinator",
        {"actual_date": "2024-01-25"},
        {"deviation_reason": "Patient travelling", "actual_date": date(2024, 1, 30)},
    ),
    "study": (
        "/participants/study/",
        lambda d: Study.current(),
        "administrator",
        {"bsa_threshold": "12.0"},
        {"enrollment_target": 6},
    ),  # fmt: skip
    "pasi": (
        "/assessments/SCR-001/W0/pasi/",
        lambda d: d["pasi"],
        "coordinator",
        {"trunk_erythema": "1"},
        {"assessment_date": date(2024, 1, 10)},
    ),
    "vital_signs": (
        "/dosing/SCR-001/W0/vitals/{pk}/",
        lambda d: VitalSigns.objects.get(visit__participant=d["p1"], timepoint="pre_infusion"),
        "coordinator",
        {"systolic_bp": "125"},
        {"heart_rate": 75},
    ),
    "infusion": (
        "/dosing/SCR-001/W0/infusion/",
        lambda d: d["infusion"],
        "coordinator",
        {"viability_percent": "96.0"},
        {"product_lot": "LOT-B2"},
    ),
    "adverse_event": (
        "/safety/adverse-events/{pk}/edit/",
        lambda d: d["chills"],
        "coordinator",
        {"term": "Chills"},
        {"grade": 1},
    ),
    "ae_assessment": (
        "/safety/adverse-events/{pk}/assess/",
        lambda d: d["chills"],
        "investigator",
        {"relationship": "possible", "reason": "Re-assessed with the lab results", "password": PASSWORD},
        {"term": "Rigors"},
    ),
    "safety_hold": (
        "/safety/holds/{pk}/release/",
        lambda d: d["hold"],
        "investigator",
        {"reason": "DMC reviewed: no concern", "password": PASSWORD},
        {"reason": "Related grade 3 (corrected)"},
    ),
    "lab_result": (
        "/labs/result/{pk}/",
        lambda d: d["lab_result"],
        "coordinator",
        {"value": "130"},
        {"clinically_significant": True},
    ),
    "concomitant_medication": (
        "/medications/concomitant/{pk}/",
        lambda d: d["cm"],
        "coordinator",
        {"indication": "Migraine"},
        {"dose": Decimal("1000.000")},
    ),
    "medical_history": (
        "/medications/history/{pk}/",
        lambda d: d["mh"],
        "coordinator",
        {"term": "Essential hypertension"},
        {"start_date": "2014"},
    ),
    "protocol_deviation": (
        "/deviations/{pk}/",
        lambda d: d["deviation"],
        "coordinator",
        {"description": "Blood pressure measured 20 minutes after the infusion"},
        {"deviation_date": date(2024, 1, 11)},
    ),
}


@pytest.mark.parametrize("name", list(FORMS))
def test_a_stale_edit_form_is_refused_and_shown_again_with_both_changes(name, data, personas):
    url, record_of, editor, mine, theirs = FORMS[name]
    record = record_of(data)
    url = url.format(pk=record.pk)
    client = logged_in(personas[editor])
    page = client.get(url)
    assert page.status_code == 200
    values = form_values(page)
    other = make_user("olga", Role.DATA_MANAGER if name == "study" else Role.INVESTIGATOR)
    _change(record, other, **theirs)
    stored = _reload(record)
    history_rows = stored.history.count()

    values.update(mine)
    if "reason_for_change" in values:
        values["reason_for_change"] = "My correction"
    response = client.post(url, values)

    # Refused: nothing written, the other user's change kept.
    assert response.status_code == 409, response.content.decode()[:2000]
    assert _reload(record).history.count() == history_rows
    assert _reload(record).version == stored.version
    html = response.content.decode()
    assert "olga" in html and "changed" in html  # who changed what and when
    # Shown again: the user's input kept, the other user's change in the form.
    again = form_values(response)
    for field, value in mine.items():
        if field != "password":  # a password is never shown again: the signer types it again
            assert again[field] == value, field
    # Saving again succeeds and keeps both changes.
    if "password" in mine:
        again["password"] = mine["password"]
    if "reason_for_change" in again:
        again["reason_for_change"] = again["reason_for_change"] or "My correction"
    response = client.post(url, again)
    assert response.status_code == 302, response.content.decode()[:3000]
    final = _reload(record)
    for field, value in theirs.items():
        if field in mine or (name == "safety_hold" and field == "reason"):
            continue
        assert str(getattr(final, field)) == str(value), field


def test_the_message_names_who_changed_which_field_and_when(data, coordinator, investigator):
    url = f"/safety/adverse-events/{data['chills'].pk}/edit/"
    client = logged_in(coordinator)
    values = form_values(client.get(url))
    _change(data["chills"], investigator, grade=1)
    response = client.post(url, {**values, "term": "Chills", "reason_for_change": "Spelling"})
    html = response.content.decode()
    assert response.status_code == 409
    assert "ivan" in html and "01 Mar 2024 12:00" in html
    assert "grade" in html.lower() and "2 → 1" in html
    assert 'class="changed-meanwhile' in html  # the field is highlighted
    chills = _reload(data["chills"])
    assert (chills.grade, chills.term) == (1, "Chills, infusion-related")


def test_the_other_users_change_is_not_undone_by_a_stale_form(data, coordinator, investigator):
    """The reported case: the grade set through the API is not silently put back by the browser."""
    ae = data["chills"]
    url = f"/safety/adverse-events/{ae.pk}/edit/"
    browser = logged_in(coordinator)
    values = form_values(browser.get(url))
    api = APIClient()
    api.force_authenticate(investigator)
    etag = api.get(f"/api/v1/adverse-events/{ae.pk}/").headers.get("ETag", '"1"')
    patched = api.patch(
        f"/api/v1/adverse-events/{ae.pk}/",
        {"grade": 1, "reason_for_change": "Re-graded"},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert patched.status_code == 200
    browser.post(url, {**values, "term": "Chills", "reason_for_change": "Spelling"})
    ae = _reload(ae)
    assert ae.grade == 1
    assert not ae.history.filter(history_user=coordinator, history_change_reason="Spelling").exists()


# --- API ---------------------------------------------------------------------------------------


def api_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _resources(d) -> dict[str, str]:
    return {
        "participant": "/api/v1/participants/SCR-001/",
        "screening": "/api/v1/participants/SCR-001/screening/",
        "visit": "/api/v1/participants/SCR-001/visits/W2/",
        "study": "/api/v1/study/",
        "vital_signs": f"/api/v1/vital-signs/{VitalSigns.objects.filter(participant=d['p1']).first().pk}/",
        "infusion": f"/api/v1/infusions/{d['infusion'].pk}/",
        "pasi": f"/api/v1/pasi-assessments/{d['pasi'].pk}/",
        "adverse_event": f"/api/v1/adverse-events/{d['chills'].pk}/",
        "safety_hold": f"/api/v1/safety-holds/{d['hold'].pk}/",
        "lab_result": f"/api/v1/lab-results/{d['lab_result'].pk}/",
        "concomitant_medication": f"/api/v1/concomitant-medications/{d['cm'].pk}/",
        "medical_history": f"/api/v1/medical-history/{d['mh'].pk}/",
        "protocol_deviation": f"/api/v1/protocol-deviations/{d['deviation'].pk}/",
    }


def test_every_clinical_resource_has_an_etag_that_moves_with_each_change(data, coordinator):
    client = api_client(coordinator)
    for name, url in _resources(data).items():
        response = client.get(url)
        assert response.status_code == 200, name
        assert response.headers["ETag"] == f'"{response.json()["version"]}"', name


PATCHES = {
    "participant": {"initials": "XY"},
    "visit": {"deviation_reason": "Travelling", "actual_date": "2024-01-30"},
    "vital_signs": {"heart_rate": 75},
    "infusion": {"product_lot": "LOT-B2"},
    "pasi": {"trunk_erythema": 1},
    "adverse_event": {"term": "Chills"},
    "lab_result": {"value": "130"},
    "concomitant_medication": {"indication": "Migraine"},
    "medical_history": {"term": "Essential hypertension"},
    "protocol_deviation": {"description": "Blood pressure measured 20 minutes after the infusion"},
}


@pytest.mark.parametrize("name", list(PATCHES))
def test_patch_needs_if_match_and_refuses_a_stale_one(name, data, coordinator):
    url = _resources(data)[name]
    client = api_client(coordinator)
    body = {**PATCHES[name], "reason_for_change": "Source document checked"}
    etag = client.get(url).headers["ETag"]

    missing = client.patch(url, body, format="json")
    assert missing.status_code == 428
    assert "If-Match" in missing.json()["detail"]

    first = client.patch(url, body, format="json", HTTP_IF_MATCH=etag)
    assert first.status_code == 200, first.json()
    assert first.headers["ETag"] != etag and first.headers["ETag"] == client.get(url).headers["ETag"]

    second = client.patch(url, {**body, "reason_for_change": "Also"}, format="json", HTTP_IF_MATCH=etag)
    assert second.status_code == 412
    assert second.headers["ETag"] == first.headers["ETag"]
    assert "coordinator" in second.json()["detail"] or "alice" in second.json()["detail"]


def test_study_patch_and_screening_put_need_if_match(data, administrator, coordinator):
    admin = api_client(administrator)
    etag = admin.get("/api/v1/study/").headers["ETag"]
    body = {"enrollment_target": 7, "reason_for_change": "Amendment"}
    assert admin.patch("/api/v1/study/", body, format="json").status_code == 428
    assert admin.patch("/api/v1/study/", body, format="json", HTTP_IF_MATCH=etag).status_code == 200
    assert admin.patch("/api/v1/study/", body, format="json", HTTP_IF_MATCH=etag).status_code == 412

    client = api_client(coordinator)
    url = "/api/v1/participants/SCR-001/screening/"
    current = client.get(url)
    body = {k: v for k, v in current.json().items() if k in SCREENING_WRITE_FIELDS}
    body.update(height_cm="169.0", reason_for_change="Re-measured")
    assert client.put(url, body, format="json").status_code == 428
    response = client.put(url, body, format="json", HTTP_IF_MATCH=current.headers["ETag"])
    assert response.status_code == 200 and response.headers["ETag"] == f'"{response.json()["version"]}"'


def test_the_schema_documents_etag_if_match_412_and_428(data, data_manager):
    """Every PATCH in the schema needs If-Match and may answer 412 (with the ETag) or 428; each is one of the
    resources tested above, so a resource added later cannot skip the test."""
    paths = logged_in(data_manager).get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    patched = {path: item["patch"] for path, item in paths.items() if "patch" in item}
    tested = {_resources(data)[name] for name in [*PATCHES, "study"]}
    assert len(patched) == len(tested)
    for path, operation in patched.items():
        if_match = [p for p in operation["parameters"] if p["in"] == "header" and p["name"] == "If-Match"]
        assert if_match and if_match[0]["required"], path
        assert {"412", "428"} <= set(operation["responses"]), path
        assert "ETag" in operation["responses"]["412"]["headers"], path
        for response in (operation["responses"]["200"], paths[path]["get"]["responses"]["200"]):
            assert "ETag" in response["headers"], path
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", path)
        assert any(re.fullmatch(pattern, url) for url in tested), f"{path}: add it to PATCHES"


SCREENING_WRITE_FIELDS = {
    "screening_date",
    "planned_day1_date",
    "weight_kg",
    "height_cm",
    "bsa_percent",
    *factories.EXCLUSIONS_NO,
}


def test_created_records_come_with_their_etag(data, coordinator):
    client = api_client(coordinator)
    response = client.post(
        "/api/v1/adverse-events/",
        {
            "participant": "SCR-001",
            "term": "Nausea",
            "onset_date": "2024-02-01",
            "end_date": "2024-02-02",
            "grade": 1,
            "serious": False,
            "relationship": "unlikely",
            "expected": True,
            "action_taken": "dose_not_changed",
            "outcome": "recovered",
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.headers["ETag"] == '"1"' and response.json()["version"] == 1


# --- Concurrency on PostgreSQL --------------------------------------------------------------------


def _patch_at_once(url: str, etag: str, edits: list[tuple]) -> list[int]:
    """The PATCHes (user, body) sent from the same read (If-Match `etag`) at the same moment."""
    barrier = threading.Barrier(len(edits))
    statuses: list[int] = []

    def patch(user, body):
        try:
            client = api_client(user)
            barrier.wait()
            statuses.append(client.patch(url, body, format="json", HTTP_IF_MATCH=etag).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=patch, args=edit) for edit in edits]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


@pytest.mark.django_db(transaction=True, available_apps=list(settings.INSTALLED_APPS))
def test_of_two_concurrent_patches_from_one_read_exactly_one_wins(require_postgres, coordinator, investigator):
    participant = factories.participant(coordinator, initials="AB")
    url = f"/api/v1/participants/{participant.screening_number}/"
    pairs = 10
    outcomes = []
    for pair in range(pairs):
        etag = api_client(coordinator).get(url).headers["ETag"]
        letter = chr(65 + pair)
        body = {"reason_for_change": "Transcription"}
        edits = [(coordinator, {**body, "initials": f"C{letter}"}), (investigator, {**body, "initials": f"I{letter}"})]
        outcomes.append(_patch_at_once(url, etag, edits))
    assert outcomes == [[200, 412]] * pairs
    participant = Participant.objects.get(pk=participant.pk)
    assert participant.version == 1 + pairs
    assert participant.history.count() == 1 + pairs


@pytest.mark.django_db(transaction=True, available_apps=list(settings.INSTALLED_APPS))
def test_a_record_type_added_later_has_the_same_guard_under_concurrency(require_postgres, coordinator, investigator):
    """A concomitant medication: its service reads the record before the write door locks it."""
    medication = later_records(factories.enrolled_participant(coordinator, day1=date(2024, 1, 10)), coordinator)["cm"]
    url = f"/api/v1/concomitant-medications/{medication.pk}/"
    pairs = 5
    outcomes = []
    for pair in range(pairs):
        etag = api_client(coordinator).get(url).headers["ETag"]
        body = {"reason_for_change": "Source document"}
        edits = [
            (coordinator, {**body, "indication": f"Pain {pair}"}),
            (investigator, {**body, "dose": f"{600 + pair}"}),
        ]
        outcomes.append(_patch_at_once(url, etag, edits))
    assert outcomes == [[200, 412]] * pairs
    assert medication.history.count() == 1 + pairs


def test_every_record_type_is_versioned():
    """The first nine, and every record type added later (RECORD_TYPES names them all)."""
    models = {Study, *(record_type.model_class() for record_type in RECORD_TYPES.values())}
    assert {Participant, Screening, Visit, VitalSigns, Infusion, PasiAssessment, AdverseEvent, SafetyHold} <= models
    for model in models:
        assert model._meta.get_field("version").default == 1, model
