"""Electronic signatures: every signing act re-authenticates through the lockout, a later change
invalidates the signature (audited) and puts the record back on the signer's list, the casebook."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from safety.models import SafetyHold
from safety.services import adverse_event_assess, adverse_event_record, adverse_event_update, safety_hold_release
from signatures.models import Meaning, Signature
from signatures.services import awaiting_signature, casebook_blockers, record_hash
from subjects import services as subject_services
from subjects.models import ParticipantStatus
from tests import factories
from tests.conftest import PASSWORD, logged_in
from tests.subjects_helpers import SIGNED, signoff_of, signoff_request
from trialsite.audit import audited_save

from .test_reauthentication import failures

pytestmark = pytest.mark.django_db

CAUSALITY = dict(relationship="possible", expected=False, reason="Temporal association")
AE = dict(
    term="Headache",
    onset_date=date(2024, 1, 12),
    end_date=date(2024, 1, 13),
    ongoing=False,
    grade=1,
    serious=False,
    relationship="unlikely",
    expected=True,
    action_taken="dose_not_changed",
    outcome="recovered",
)


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def enrolled(coordinator, study):
    return factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))


@pytest.fixture
def completed(enrolled, coordinator):
    enrolled.status = ParticipantStatus.COMPLETED
    return audited_save(enrolled, user=coordinator, reason="Completed the study (fixture)")


def test_ae_causality_is_signed_with_the_password(coordinator, investigator, enrolled):
    ae = adverse_event_record(participant=enrolled, user=coordinator, **AE)
    with pytest.raises(ValidationError) as wrong:
        adverse_event_assess(
            adverse_event=ae, investigator=investigator, password="guess", request=SIGNED["request"], **CAUSALITY
        )
    assert "password" in wrong.value.message_dict and failures("ivan") == 1
    ae.refresh_from_db()
    assert ae.relationship == "unlikely" and not Signature.objects.filter(meaning=Meaning.AE_CAUSALITY).exists()
    adverse_event_assess(adverse_event=ae, investigator=investigator, **SIGNED, **CAUSALITY)
    signature = Signature.objects.get(meaning=Meaning.AE_CAUSALITY)
    ae.refresh_from_db()
    assert (signature.record_type, signature.record_id, signature.participant) == ("adverse_event", ae.pk, enrolled)
    assert signature.record_hash == record_hash(Meaning.AE_CAUSALITY, ae) and signature.valid
    assert signature.get_meaning_display() == "I have assessed the causality of this adverse event"
    assert failures("ivan") == 0  # the right password resets the count, as a login does


def test_hold_release_is_signed_with_the_password(coordinator, investigator, enrolled):
    adverse_event_record(participant=enrolled, user=coordinator, **{**AE, "grade": 3, "relationship": "probable"})
    hold = SafetyHold.objects.get()
    with pytest.raises(ValidationError):
        safety_hold_release(
            hold=hold, investigator=investigator, reason="DMC", password="guess", request=signoff_request()
        )
    hold.refresh_from_db()
    assert hold.released_at is None
    assert not Signature.objects.filter(meaning=Meaning.HOLD_RELEASE).exists()
    safety_hold_release(hold=hold, investigator=investigator, reason="DMC reviewed", **SIGNED)
    signature = Signature.objects.get(meaning=Meaning.HOLD_RELEASE)
    assert (signature.record_type, signature.record_id, signature.signer) == ("safety_hold", hold.pk, investigator)


def test_five_wrong_passwords_lock_the_account_whatever_the_signing_act(coordinator, investigator, completed):
    url = f"/api/v1/participants/{completed.screening_number}/signatures/"
    client = api(investigator)
    for _ in range(4):
        response = client.post(url, {"meaning": "casebook_approval", "password": "guess"}, format="json")
        assert response.status_code == 400 and response.json()["password"] == ["The password is not correct."]
    response = client.post(url, {"meaning": "casebook_approval", "password": "guess"}, format="json")
    assert "locked" in response.json()["password"][0].lower() and failures("ivan") == 5
    response = client.post(url, {"meaning": "casebook_approval", "password": PASSWORD}, format="json")
    assert response.status_code == 400 and "locked" in response.json()["password"][0].lower()
    assert not Signature.objects.filter(meaning=Meaning.CASEBOOK_APPROVAL).exists()
    login = Client().post("/accounts/login/", {"username": "ivan", "password": PASSWORD})
    assert login.status_code == 429


def test_a_change_invalidates_the_signature_and_puts_it_back_on_the_signers_list(coordinator, investigator, enrolled):
    ae = adverse_event_record(participant=enrolled, user=coordinator, **AE)
    adverse_event_assess(adverse_event=ae, investigator=investigator, **SIGNED, **CAUSALITY)
    assert [item.label for item in awaiting_signature(investigator) if item.meaning == Meaning.AE_CAUSALITY] == []
    ae.refresh_from_db()
    adverse_event_update(adverse_event=ae, user=coordinator, reason="Source: ended later", end_date=date(2024, 1, 15))
    signature = Signature.objects.get(meaning=Meaning.AE_CAUSALITY)
    assert not signature.valid
    assert signature.invalidation_reason.startswith("Signature invalidated by the change of adverse event AE 1")
    change = signature.history.order_by("history_id").last()
    assert change.history_change_reason == signature.invalidation_reason and change.history_user == coordinator
    waiting = [item for item in awaiting_signature(investigator) if item.meaning == Meaning.AE_CAUSALITY]
    assert [(item.record_id, item.invalidated) for item in waiting] == [(ae.pk, signature)]
    # The participant page shows it as invalidated; the investigator signs again.
    html = logged_in(investigator).get(f"/participants/{enrolled.screening_number}/").content.decode()
    assert 'data-state="invalidated"' in html and "Sign again" in html
    url = f"/participants/{enrolled.screening_number}/signatures/sign/?meaning=ae_causality&record={ae.pk}"
    assert logged_in(investigator).post(url, {"password": PASSWORD}).status_code == 302
    assert Signature.objects.filter(meaning=Meaning.AE_CAUSALITY, invalidated_at=None).count() == 1
    assert not [item for item in awaiting_signature(investigator) if item.meaning == Meaning.AE_CAUSALITY]


def test_a_screening_change_invalidates_the_eligibility_sign_off(coordinator, investigator):
    from tests.subjects_helpers import screened

    p = screened(coordinator)
    subject_services.eligibility_signoff(participant=p, investigator=investigator, **SIGNED)
    assert subject_services.next_action(p) == "Enroll"
    screening = subject_services.screening_of(p)
    subject_services.screening_save(
        participant=p, user=coordinator, reason="Re-weighed", weight_kg=screening.weight_kg + 1
    )
    assert signoff_of(p) is None and subject_services.next_action(p) == "Awaiting investigator sign-off"
    assert [item.meaning for item in awaiting_signature(investigator)] == [Meaning.ELIGIBILITY]
    subject_services.eligibility_signoff(participant=p, investigator=investigator, **SIGNED)
    assert signoff_of(p).valid and Signature.objects.filter(participant=p).count() == 2


def test_the_casebook_is_signed_once_the_participant_completed(coordinator, investigator, enrolled):
    assert casebook_blockers(enrolled) == ["The participant has not completed the study or withdrawn."]
    url = f"/api/v1/participants/{enrolled.screening_number}/signatures/"
    refused = api(investigator).post(url, {"meaning": "casebook_approval", "password": PASSWORD}, format="json")
    assert refused.status_code == 400 and "completed" in refused.json()["meaning"][0]
    enrolled.status = ParticipantStatus.COMPLETED
    audited_save(enrolled, user=coordinator, reason="Completed")
    assert casebook_blockers(enrolled) == []
    assert [item.meaning for item in awaiting_signature(investigator)] == [Meaning.CASEBOOK_APPROVAL]
    response = api(investigator).post(url, {"meaning": "casebook_approval", "password": PASSWORD}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["meaning"], body["record_type"], body["signer"], body["valid"]) == (
        "casebook_approval",
        "participant",
        "ivan",
        True,
    )
    again = api(investigator).post(url, {"meaning": "casebook_approval", "password": PASSWORD}, format="json")
    assert again.status_code == 400 and "already signed" in again.json()["meaning"][0]
    # Any record of the participant changing invalidates the casebook signature.
    visit = enrolled.visits.get(visit_code="W12")
    visit.deviation_reason = "Late by a day"
    audited_save(visit, user=coordinator, reason="Corrected from source", validate=False)
    listed = api(coordinator).get(url).json()
    casebook = next(row for row in listed if row["meaning"] == "casebook_approval")
    assert casebook["valid"] is False and "visit" in casebook["invalidation_reason"]


def test_api_ladder(coordinator, investigator, data_manager, completed):
    url = f"/api/v1/participants/{completed.screening_number}/signatures/"
    body = {"meaning": "casebook_approval", "password": PASSWORD}
    assert api().get(url).status_code == 401
    assert api(coordinator).get(url).status_code == 200
    for user in (coordinator, data_manager):
        assert api(user).post(url, body, format="json").status_code == 403
    assert api(investigator).get("/api/v1/participants/SCR-999/signatures/").status_code == 404
    missing = api(investigator).post(url, {"meaning": "ae_causality", "password": PASSWORD}, format="json")
    assert missing.status_code == 400 and "record_id" in missing.json()
    unknown = {"meaning": "ae_causality", "password": PASSWORD, "record_id": 2**62}
    assert api(investigator).post(url, unknown, format="json").status_code == 404
    assert api(investigator).post(url, body, format="json").status_code == 201
    assert [row["meaning"] for row in api(coordinator).get(url).json()] == ["eligibility", "casebook_approval"]


def test_sign_page_and_awaiting_page_ladder(
    client, coordinator, investigator, completed, django_assert_max_num_queries
):
    sign = f"/participants/{completed.screening_number}/signatures/sign/?meaning=casebook_approval"
    for url in (sign, "/signatures/awaiting/"):
        assert client.get(url).status_code == 302
        assert logged_in(coordinator).get(url).status_code == 403
        assert logged_in(investigator).get(url).status_code == 200
    browser = logged_in(investigator)
    assert completed.screening_number in browser.get("/signatures/awaiting/").content.decode()
    wrong = browser.post(sign, {"password": "guess"})
    assert wrong.status_code == 200 and "The password is not correct." in wrong.content.decode()
    assert browser.post(sign, {"password": PASSWORD}).status_code == 302
    html = browser.get(f"/participants/{completed.screening_number}/").content.decode()
    assert "I approve this casebook as complete and accurate" in html
    for n in range(3):
        other = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10), initials=f"X{'ABC'[n]}")
        other.status = ParticipantStatus.WITHDRAWN
        audited_save(other, user=coordinator, reason="Withdrawn (fixture)", validate=False)
    with django_assert_max_num_queries(20):  # two per meaning, whatever the number of records
        html = browser.get("/signatures/awaiting/").content.decode()
    assert html.count("awaiting-casebook_approval") == 3


def test_signatures_are_append_only(investigator, completed):
    signature = Signature.objects.get(meaning=Meaning.ELIGIBILITY)
    with pytest.raises(ValueError):
        signature.delete()


@pytest.mark.django_db(transaction=True)
def test_existing_sign_offs_move_onto_signatures(coordinator, investigator):
    """The data migration subjects/0007 on a database whose sign-offs are in the screening's old columns
    (still there, never written again): backwards it removes the eligibility signatures, forwards it
    makes one per signed-off screening. It changes no schema, so it runs here, on the models as that
    migration sees them, without taking the whole database back through the migrations."""
    import importlib

    from django.db import connection
    from django.db.migrations import RunPython
    from django.db.migrations.loader import MigrationLoader

    from subjects.models import Screening

    node = ("subjects", "0007_signoff_to_signatures")
    migration = importlib.import_module(f"{node[0]}.migrations.{node[1]}")
    assert all(isinstance(operation, RunPython) for operation in migration.Migration.operations)
    historical = MigrationLoader(connection).project_state(node).apps

    participant = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10), signoff_user=investigator)
    screening = Screening.objects.get(participant=participant)
    signed_at = Signature.objects.get().signed_at
    Screening.objects.filter(pk=screening.pk).update(
        investigator_signoff_by=investigator, investigator_signoff_at=signed_at, signoff_meaning="I confirm eligibility"
    )

    migration.backwards(historical, None)
    assert not Signature.objects.filter(meaning=Meaning.ELIGIBILITY).exists()
    migration.forwards(historical, None)
    signature = Signature.objects.get(meaning=Meaning.ELIGIBILITY)
    assert (signature.signer, signature.signed_at, signature.record_id) == (investigator, signed_at, screening.pk)
    assert signature.signer_name == "ivan" and signature.valid
    assert signature.record_hash == record_hash(Meaning.ELIGIBILITY, Screening.objects.get(pk=screening.pk))


def test_an_open_or_answered_query_blocks_the_casebook_signature(coordinator, investigator, data_manager, enrolled):
    from datamanagement.services import query_answer, query_close, query_raise

    enrolled.status = ParticipantStatus.COMPLETED
    audited_save(enrolled, user=coordinator, reason="Completed")
    query = query_raise(user=data_manager, record_type="participant", record_id=enrolled.pk, text="Initials?")
    assert casebook_blockers(enrolled) == ["1 data queries are not closed yet."]
    query_answer(query=query, user=coordinator, text="Checked against the source")
    assert casebook_blockers(enrolled) == ["1 data queries are not closed yet."]
    query_close(query=query, user=data_manager, text="Accepted")
    assert casebook_blockers(enrolled) == []


def test_the_low_layer_names_the_same_unresolved_query_states():
    from datamanagement.models import ACTIVE_QUERY_STATES
    from signatures.services import UNRESOLVED_QUERY_STATES

    assert set(UNRESOLVED_QUERY_STATES) == set(ACTIVE_QUERY_STATES)


# Every password re-entry of a signing act, on its page and through the API: (url, form or body)
def _reentries(enrolled, ae, hold) -> dict[str, tuple[str, str, dict]]:
    sign_page = f"/participants/{enrolled.screening_number}/signatures/sign/?meaning=ae_causality&record={ae.pk}"
    return {
        "ae_assessment_page": ("web", f"/safety/adverse-events/{ae.pk}/assess/", {**CAUSALITY, "version": ae.version}),
        "ae_assessment_api": ("api", f"/api/v1/adverse-events/{ae.pk}/assess/", CAUSALITY),
        "hold_release_page": ("web", f"/safety/holds/{hold.pk}/release/", {"reason": "DMC", "version": hold.version}),
        "hold_release_api": ("api", f"/api/v1/safety-holds/{hold.pk}/release/", {"reason": "DMC reviewed"}),
        "signature_page": ("web", sign_page, {}),
    }


REENTRIES = ["ae_assessment_page", "ae_assessment_api", "hold_release_page", "hold_release_api", "signature_page"]


@pytest.mark.parametrize("name", REENTRIES)
def test_every_signing_act_counts_wrong_passwords_and_locks_on_the_fifth(name, coordinator, investigator, enrolled):
    ae = adverse_event_record(participant=enrolled, user=coordinator, **{**AE, "grade": 3, "relationship": "probable"})
    hold = SafetyHold.objects.get()
    kind, url, values = _reentries(enrolled, ae, hold)[name]
    client = api(investigator) if kind == "api" else logged_in(investigator)

    def attempt(password: str) -> str:
        response = client.post(url, {**values, "password": password}, **({"format": "json"} if kind == "api" else {}))
        assert response.status_code in (200, 400), (response.status_code, response.content[:500])
        return response.content.decode()

    for count in range(1, 5):
        assert "The password is not correct." in attempt("guess")
        assert failures("ivan") == count
    assert "locked" in attempt("guess").lower() and failures("ivan") == 5
    assert "locked" in attempt(PASSWORD).lower()  # the right password no longer signs
    assert not Signature.objects.filter(signer=investigator).exists()
    assert Client().post("/accounts/login/", {"username": "ivan", "password": PASSWORD}).status_code == 429
