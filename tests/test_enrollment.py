"""Sign-off and enrollment: eligible + investigator sign-off, within the target, subject IDs."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from signatures.services import record_hash
from subjects import services
from subjects.models import Participant, Screening, Visit
from tests.conftest import PASSWORD
from tests.subjects_helpers import enrolled, screened, signed_off, signoff_of, signoff_request

SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_today():
    with time_machine.travel(datetime(2024, 1, 8, 10, 0, tzinfo=SHANGHAI), tick=False):
        yield


def test_investigator_signoff_records_name_time_meaning(coordinator, investigator):
    p = screened(coordinator)
    services.eligibility_signoff(participant=p, investigator=investigator, password=PASSWORD, request=signoff_request())
    s = Screening.objects.get(participant=p)
    signature = signoff_of(p)
    assert (signature.record_type, signature.record_id, signature.participant) == ("screening", s.pk, p)
    assert signature.signer == investigator and signature.signer_name == "ivan"
    assert signature.signed_at == datetime(2024, 1, 8, 2, 0, tzinfo=ZoneInfo("UTC"))
    assert signature.get_meaning_display() == "I confirm this participant's eligibility"
    assert signature.record_hash == record_hash("eligibility", s)
    last = signature.history.get()
    assert last.history_change_reason == "Signed: I confirm this participant's eligibility"


def test_signoff_wrong_password_refused(coordinator, investigator):
    p = screened(coordinator)
    with pytest.raises(ValidationError) as exc:
        services.eligibility_signoff(
            participant=p, investigator=investigator, password="wrong", request=signoff_request()
        )
    assert "password" in exc.value.message_dict
    assert signoff_of(p) is None


def test_signoff_by_coordinator_refused(coordinator):
    p = screened(coordinator)
    with pytest.raises(PermissionDenied):
        services.eligibility_signoff(
            participant=p, investigator=coordinator, password=PASSWORD, request=signoff_request()
        )
    assert signoff_of(p) is None


def test_signoff_of_ineligible_refused(coordinator, investigator):
    p = screened(coordinator, active_infection=True)
    with pytest.raises(ValidationError) as exc:
        services.eligibility_signoff(
            participant=p, investigator=investigator, password=PASSWORD, request=signoff_request()
        )
    assert "eligible" in exc.value.message_dict


def test_enroll_assigns_subject_id_usubjid_and_visits(coordinator, investigator):
    p = enrolled(coordinator, investigator, PASSWORD)
    assert (p.status, p.subject_id, p.usubjid) == ("enrolled", "001", "S2018-11-01-001")
    assert p.enrolled_at is not None
    visits = {v.visit_code: (v.target_date, v.window_start, v.window_end, v.status) for v in p.visits.all()}
    assert list(visits) == ["SCR", "W0", "W2", "W4", "W6", "W8", "W12"]
    assert visits["SCR"] == (date(2024, 1, 3), date(2023, 12, 13), date(2024, 1, 9), "done")
    assert visits["W0"] == (date(2024, 1, 10), date(2024, 1, 4), date(2024, 1, 31), "open")
    assert visits["W2"] == (date(2024, 1, 24), date(2024, 1, 21), date(2024, 1, 27), "scheduled")
    assert visits["W12"] == (date(2024, 4, 3), date(2024, 3, 31), date(2024, 4, 6), "scheduled")
    second = enrolled(coordinator, investigator, PASSWORD)
    assert (second.subject_id, second.usubjid) == ("002", "S2018-11-01-002")


def test_enroll_unsigned_refused(coordinator):
    p = screened(coordinator)
    with pytest.raises(ValidationError) as exc:
        services.participant_enroll(participant=p, user=coordinator)
    assert "investigator_signoff" in exc.value.message_dict
    p.refresh_from_db()
    assert (p.status, p.subject_id) == ("screening", None)
    assert not Visit.objects.filter(participant=p).exclude(visit_code="SCR").exists()


def test_enroll_ineligible_refused(coordinator):
    p = screened(coordinator, bsa_percent="5.0", pasi=None)
    with pytest.raises(ValidationError) as exc:
        services.participant_enroll(participant=p, user=coordinator)
    assert "eligible" in exc.value.message_dict


def test_duplicate_enrollment_refused(coordinator, investigator):
    p = enrolled(coordinator, investigator, PASSWORD)
    with pytest.raises(ValidationError) as exc:
        services.participant_enroll(participant=p, user=coordinator)
    assert "subject_id" in exc.value.message_dict
    assert Visit.objects.filter(participant=p).count() == 7


def test_enrollment_target_refusal_then_data_manager_raises_it(
    coordinator, investigator, data_manager, administrator, study
):
    services.study_update(user=administrator, reason="Test of a small target", enrollment_target=1)
    enrolled(coordinator, investigator, PASSWORD)
    second = signed_off(coordinator, investigator, PASSWORD)
    with pytest.raises(ValidationError) as exc:
        services.participant_enroll(participant=second, user=coordinator)
    assert "enrollment_target" in exc.value.message_dict
    second.refresh_from_db()
    assert second.subject_id is None

    with pytest.raises(ValidationError) as exc:
        services.study_update(user=data_manager, reason="", enrollment_target=2)
    assert "reason_for_change" in exc.value.message_dict
    services.study_update(user=data_manager, reason="DMC approved a second participant", enrollment_target=2)
    study.refresh_from_db()
    assert (study.enrollment_target, study.version) == (2, 3)
    assert study.history.order_by("-history_id").first().history_change_reason == "DMC approved a second participant"
    assert study.history.order_by("-history_id").first().history_user == data_manager
    assert services.participant_enroll(participant=second, user=coordinator).subject_id == "002"


def test_data_manager_may_change_only_the_target(data_manager, coordinator, study):
    with pytest.raises(ValidationError) as exc:
        services.study_update(user=data_manager, reason="x", pasi_threshold="8.0")
    assert "pasi_threshold" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.study_update(user=coordinator, reason="x", enrollment_target=9)
    study.refresh_from_db()
    assert (study.enrollment_target, study.version) == (5, 1)


def test_withdrawal_ends_schedule_nothing_deleted(coordinator, investigator):
    p = enrolled(coordinator, investigator, PASSWORD)
    with pytest.raises(ValidationError) as exc:
        services.participant_withdraw(
            participant=p, user=coordinator, withdrawal_date=date(2024, 1, 9), withdrawal_reason=""
        )
    assert "withdrawal_reason" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.participant_withdraw(
            participant=p, user=coordinator, withdrawal_date=date(2024, 1, 9), withdrawal_reason="Moved away"
        )
    assert "withdrawal_date" in exc.value.message_dict  # the future in Shanghai
    services.participant_withdraw(
        participant=p, user=coordinator, withdrawal_date=date(2024, 1, 8), withdrawal_reason="Moved away"
    )
    p.refresh_from_db()
    assert (p.status, p.withdrawal_date, p.subject_id) == ("withdrawn", date(2024, 1, 8), "001")
    states = dict(p.visits.values_list("visit_code", "status"))
    assert states == {
        "SCR": "done",
        "W0": "not_done",
        "W2": "not_done",
        "W4": "not_done",
        "W6": "not_done",
        "W8": "not_done",
        "W12": "not_done",
    }
    assert services.next_action(p) == "Withdrawn on 08 Jan 2024: no further visits"


def test_withdraw_before_enrollment_refused(coordinator):
    p = screened(coordinator)
    with pytest.raises(ValidationError) as exc:
        services.participant_withdraw(
            participant=p, user=coordinator, withdrawal_date=date(2024, 1, 8), withdrawal_reason="x"
        )
    assert "status" in exc.value.message_dict
    assert Participant.objects.get(pk=p.pk).status == "screening"


def test_next_action_through_the_steps(coordinator, investigator):
    p = services.participant_register(
        user=coordinator,
        initials="CD",
        sex="M",
        date_of_birth=date(1970, 1, 1),
        consent_date=date(2024, 1, 2),
        consent_version="1.0",
    )
    assert services.next_action(p) == "Record screening"
    p = screened(coordinator, pasi=None)
    assert services.next_action(p) == "Record screening PASI"
    p = screened(coordinator)
    assert services.next_action(p) == "Awaiting investigator sign-off"
    p = signed_off(coordinator, investigator, PASSWORD)
    assert services.next_action(p) == "Enroll"
    p = services.participant_enroll(participant=p, user=coordinator)
    assert services.next_action(p) == "Record W0 visit (window 4–31 Jan)"
