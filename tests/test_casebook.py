"""The participant's casebook as PDF: content (extracted with pypdf), access, speed, the study ZIP."""

import io
import zipfile
from datetime import date

import pytest
import time_machine
from django.core.management import call_command
from pypdf import PdfReader

from exports.casebook import casebook_pdf
from subjects.models import Participant, ParticipantStatus
from tests.conftest import PASSWORD, logged_in
from tests.export_data import build_study_data
from trialsite.audit import audited_save

pytestmark = pytest.mark.django_db


def text_of(pdf: bytes) -> tuple[str, int]:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages), len(reader.pages)


def test_the_casebook_holds_every_form_the_signatures_and_the_audit_trail(coordinator, investigator):
    data = build_study_data(coordinator)
    p1 = data["p1"]
    p1.status = ParticipantStatus.COMPLETED
    audited_save(p1, user=coordinator, reason="Completed")
    url = f"/participants/{p1.screening_number}/signatures/sign/?meaning=casebook_approval"
    assert logged_in(investigator).post(url, {"password": PASSWORD}).status_code == 302
    text, pages = text_of(casebook_pdf(Participant.objects.get(pk=p1.pk)))
    flat = " ".join(text.split())
    assert pages >= 2 and f"Page 1 of {pages}" in flat and f"Page {pages} of {pages}" in flat
    assert "S2018-11" in flat and p1.display_id in flat and "audit chain head" in flat
    for expected in ("Visit schedule", "Visit W0", "Headache", "Chills", "63.5", "kg", "PASI", "Infusion"):
        assert expected in flat, expected
    assert "I approve this casebook as complete and accurate" in flat and "I confirm this participant" in flat
    assert "Appendix: audit trail" in flat and "Initial entry" in flat


def test_casebook_access_ladder_and_the_api(client, personas, coordinator, data_manager):
    p = build_study_data(coordinator)["p1"]
    url = f"/participants/{p.screening_number}/casebook.pdf"
    assert url in logged_in(coordinator).get(f"/participants/{p.screening_number}/").content.decode()
    assert client.get(url).status_code == 302
    for persona, user in personas.items():
        response = logged_in(user).get(url)
        allowed = persona in {"coordinator", "investigator", "data_manager", "api_client_user", "administrator"}
        assert response.status_code == (200 if allowed else 403), persona
        if allowed:
            assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    from rest_framework.test import APIClient

    api = APIClient()
    assert api.get(f"/api/v1/{url.lstrip('/')}").status_code == 401
    api.force_authenticate(personas["dmc_reviewer"])
    assert api.get(f"/api/v1/{url.lstrip('/')}").status_code == 403
    api.force_authenticate(data_manager)
    response = api.get(f"/api/v1/{url.lstrip('/')}")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert api.get("/api/v1/participants/SCR-999/casebook.pdf").status_code == 404


def test_the_study_zip_holds_one_casebook_per_participant(coordinator, data_manager):
    build_study_data(coordinator)
    assert logged_in(coordinator).get("/exports/casebooks.zip").status_code == 403
    response = logged_in(data_manager).get("/exports/casebooks.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert 'id="casebooks-zip"' in logged_in(data_manager).get("/exports/").content.decode()
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert len(names) == Participant.objects.count() == 2 and all(n.endswith(".pdf") for n in names)


@time_machine.travel(date(2024, 9, 1), tick=False)
def test_a_twelve_week_participant_renders_every_record(django_user_model, data_manager):
    """The 3-second budget is measured by `bench/run.py` (casebook), not asserted here."""
    from datamanagement.services import query_raise

    call_command("generate_synthetic_study", "--participants", "6", "--seed", "3")
    full = max(Participant.objects.exclude(day1_date=None), key=lambda p: p.visits.exclude(actual_date=None).count())
    assert full.visits.exclude(actual_date=None).count() >= 6
    query_raise(user=data_manager, record_type="participant", record_id=full.pk, text="Initials as on the consent?")
    pdf = casebook_pdf(full)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "W12" in text
    assert "Initials as on the consent?" in text  # the data queries
    assert "Other records" in text and "No other records." not in text  # medications, history
