"""Visit-window and SAE-clock reminders: the sweeps, e-mail delivery, the command, list and API.

Alice (coordinator) enrolls participants with Day 1 on 2024-01-10, so W2 has its target on
2024-01-24 and its window 2024-01-21 .. 2024-01-27; with the default lead of 3 days the
"opens soon" reminder is due on 2024-01-18.
"""

import threading
from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import connection

from safety import reminders, tasks
from safety.models import AdverseEvent, Reminder, ReminderAcknowledgement
from subjects.models import ParticipantStatus, Study, Visit
from tests import factories
from tests.conftest import logged_in
from trialsite.audit import audited_save

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Naming the apps makes the flush after a transactional test TRUNCATE … CASCADE on PostgreSQL,
# which the swapped-out knox token table (still referencing auth_user) otherwise refuses.
TRANSACTIONAL_APPS = list(django_settings.INSTALLED_APPS)
DAY1 = date(2024, 1, 10)


class FailingEmailBackend(BaseEmailBackend):
    """An SMTP server that is down."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("SMTP server unreachable")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def enroll(coordinator, **fields):
    with time_machine.travel(at(2024, 1, 10, 9), tick=False):
        return factories.enrolled_participant(coordinator, planned_day1=DAY1, day1=DAY1, **fields)


def kinds_of(participant) -> set[tuple[str, str]]:
    return set(Reminder.objects.filter(participant=participant).values_list("visit__visit_code", "kind"))


def w2(participant) -> Visit:
    return participant.visits.get(visit_code="W2")


# --- Visit-window reminders ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2024, 1, 17), set()),  # four days before the window opens
        (date(2024, 1, 18), {("W2", "window_opens_soon")}),  # lead day: window_start - 3
        (date(2024, 1, 20), set()),  # the day before the window opens
        (date(2024, 1, 21), {("W2", "window_open")}),  # first day of the window
        (date(2024, 1, 24), set()),  # target day, nothing new
        (date(2024, 1, 27), {("W2", "window_closes_today")}),  # last day of the window
    ],
)
def test_visit_reminder_kinds_around_the_window(coordinator, today, expected):
    participant = enroll(coordinator)
    assert reminders.reminder_sweep(today) == len(expected)
    assert kinds_of(participant) == expected


def test_day_after_the_window_the_visit_is_missed(coordinator):
    participant = enroll(coordinator)
    assert w2(participant).status == "scheduled"
    assert reminders.reminder_sweep(date(2024, 1, 21)) == 1
    assert w2(participant).status == "open"
    assert reminders.reminder_sweep(date(2024, 1, 28)) == 1
    assert kinds_of(participant) == {("W2", "window_open"), ("W2", "visit_missed")}
    assert w2(participant).status == "missed"
    missed = Reminder.objects.get(kind="visit_missed")
    assert missed.due_date == date(2024, 1, 27)
    assert missed.message == (
        "S2018-11-001 W2: the window 2024-01-21 to 2024-01-27 closed without a visit; "
        "record the visit or mark it not done."
    )


def test_lead_days_come_from_the_study(coordinator):
    Study.objects.update(reminder_lead_days=5)
    participant = enroll(coordinator)
    assert reminders.reminder_sweep(date(2024, 1, 18)) == 0
    assert reminders.reminder_sweep(date(2024, 1, 16)) == 1
    reminder = Reminder.objects.get(participant=participant)
    assert (reminder.kind, reminder.due_date) == ("window_opens_soon", date(2024, 1, 21))
    assert reminder.message == "S2018-11-001 W2: the visit window opens in 5 days (window 2024-01-21 to 2024-01-27)."


def test_without_day1_the_first_infusion_visit_is_reminded_too(coordinator):
    with time_machine.travel(at(2024, 1, 3, 9), tick=False):
        participant = factories.enrolled_participant(coordinator, planned_day1=DAY1)
    # W0 (no infusion yet) may happen any day 2024-01-04 .. 2024-01-31 (28 days after screening).
    assert reminders.reminder_sweep(date(2024, 1, 4)) == 1
    assert kinds_of(participant) == {("W0", "window_open")}


def test_no_reminders_for_withdrawn_participants(coordinator):
    participant = enroll(coordinator)
    participant.status = ParticipantStatus.WITHDRAWN
    participant.withdrawal_date = date(2024, 1, 15)
    participant.withdrawal_reason = "Withdrew consent"
    audited_save(participant, user=coordinator, reason="Withdrawn")
    for day in (date(2024, 1, 18), date(2024, 1, 21), date(2024, 1, 27), date(2024, 1, 28)):
        assert reminders.reminder_sweep(day) == 0
    assert not Reminder.objects.exists()


def test_no_reminders_for_done_or_not_done_visits(coordinator):
    done = enroll(coordinator)
    not_done = enroll(coordinator)
    Visit.objects.filter(pk=w2(done).pk).update(actual_date=date(2024, 1, 22), status="done")
    Visit.objects.filter(pk=w2(not_done).pk).update(not_done_reason="Participant travelling", status="not_done")
    assert reminders.reminder_sweep(date(2024, 1, 27)) == 0
    assert reminders.reminder_sweep(date(2024, 1, 28)) == 0
    assert w2(done).status == "done"
    assert w2(not_done).status == "not_done"


def test_sweeping_twice_creates_nothing_the_second_time(coordinator):
    participant = enroll(coordinator)
    assert reminders.reminder_sweep(date(2024, 1, 28)) == 1
    assert reminders.reminder_sweep(date(2024, 1, 28)) == 0
    assert reminders.reminder_sweep(date(2024, 1, 29)) == 0  # missed is reminded once, not daily
    assert kinds_of(participant) == {("W2", "visit_missed")}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, available_apps=TRANSACTIONAL_APPS)
def test_two_concurrent_sweeps_create_each_reminder_once(require_postgres, coordinator):
    participants = [enroll(coordinator) for _ in range(3)]
    barrier = threading.Barrier(2)
    created, errors = [], []

    def sweep():
        try:
            barrier.wait(timeout=10)
            created.append(reminders.reminder_sweep(date(2024, 2, 11)))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    # 2024-02-11: W2 (window to 01-27) and W4 (window to 02-10) are missed for each participant.
    assert sorted(created) == [0, 6]
    assert Reminder.objects.count() == 6
    for participant in participants:
        assert kinds_of(participant) == {("W2", "visit_missed"), ("W4", "visit_missed")}


@pytest.mark.parametrize("participant_count", [2, 6])
def test_the_sweep_runs_a_constant_number_of_queries(coordinator, participant_count, django_assert_num_queries):
    for _ in range(participant_count):
        enroll(coordinator)
    # savepoint, study, visits, status bulk update, bulk insert, created ids, release savepoint
    with django_assert_num_queries(7):
        assert reminders.reminder_sweep(date(2024, 1, 21)) == participant_count
    assert Visit.objects.filter(visit_code="W2", status="open").count() == participant_count


# --- SAE clock ---------------------------------------------------------------------------------


def serious_ae(participant, user, *, awareness, number=1, **fields) -> AdverseEvent:
    values = {
        "participant": participant,
        "ae_number": number,
        "term": "Pneumonia",
        "onset_date": date(2024, 1, 12),
        "ongoing": True,
        "grade": 3,
        "serious": True,
        "hospitalization": True,
        "relationship": "unlikely",
        "expected": False,
        "action_taken": "dose_not_changed",
        "outcome": "recovering",
        "awareness_time": awareness,
    } | fields
    return audited_save(AdverseEvent(**values), user=user)


def test_sae_due_then_overdue(coordinator, investigator):
    participant = enroll(coordinator)
    ae = serious_ae(participant, investigator, awareness=at(2024, 1, 12, 9, 30))
    assert reminders.sae_clock_sweep(at(2024, 1, 12, 10)) == 1
    due = Reminder.objects.get(adverse_event=ae)
    assert (due.kind, due.due_date) == ("sae_due", date(2024, 1, 13))
    assert due.message == (
        "S2018-11-001 AE 1 (Pneumonia): serious adverse event, report to the sponsor by 2024-01-13 09:30."
    )
    assert reminders.sae_clock_sweep(at(2024, 1, 12, 11)) == 0
    assert reminders.sae_clock_sweep(at(2024, 1, 13, 9, 30)) == 0  # exactly 24 h: still on time
    assert reminders.sae_clock_sweep(at(2024, 1, 13, 9, 31)) == 1
    assert reminders.sae_clock_sweep(at(2024, 1, 13, 10, 31)) == 0
    overdue = Reminder.objects.get(adverse_event=ae, kind="sae_overdue")
    assert overdue.message == (
        "S2018-11-001 AE 1 (Pneumonia): the SAE report to the sponsor was due 2024-01-13 09:30 and is overdue."
    )


def test_sae_clock_reminders_skip_reported_and_non_serious_events(coordinator, investigator):
    participant = enroll(coordinator)
    serious_ae(participant, investigator, awareness=at(2024, 1, 12, 9), reported_to_sponsor_at=at(2024, 1, 12, 15))
    serious_ae(
        participant,
        investigator,
        number=2,
        awareness=None,
        serious=False,
        hospitalization=False,
        grade=1,
        term="Headache",
    )
    late = serious_ae(participant, investigator, number=3, awareness=at(2024, 1, 10, 8))
    # First seen when already overdue: only the overdue reminder.
    assert reminders.sae_clock_sweep(at(2024, 1, 12, 16)) == 1
    assert list(Reminder.objects.values_list("adverse_event", "kind")) == [(late.pk, "sae_overdue")]


def test_sae_report_hours_come_from_the_study(coordinator, investigator):
    Study.objects.update(sae_report_hours=48)
    participant = enroll(coordinator)
    serious_ae(participant, investigator, awareness=at(2024, 1, 12, 9))
    assert reminders.sae_clock_sweep(at(2024, 1, 13, 12)) == 1
    assert Reminder.objects.get().kind == "sae_due"


# --- E-mail ------------------------------------------------------------------------------------


def missed_reminder(coordinator) -> Reminder:
    enroll(coordinator)
    reminders.reminder_sweep(date(2024, 1, 28))
    return Reminder.objects.get()


def test_one_email_per_reminder_to_the_coordinators_even_when_delivered_twice(coordinator, investigator):
    reminder = missed_reminder(coordinator)
    assert reminders.deliver_reminder_email(reminder.pk) is True
    assert reminders.deliver_reminder_email(reminder.pk) is False
    assert tasks.deliver_pending() == 0
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.org"]
    assert message.subject == "[S2018-11] Visit missed: S2018-11-001"
    assert reminder.message in message.body
    reminder.refresh_from_db()
    assert reminder.email_sent_at is not None
    assert reminder.email_attempts == 1


def test_a_reminder_claimed_by_another_worker_is_not_sent_until_the_claim_is_stale(coordinator):
    reminder = missed_reminder(coordinator)
    with time_machine.travel(at(2024, 1, 28, 7), tick=False):
        Reminder.objects.filter(pk=reminder.pk).update(email_claimed_at=datetime.now(tz=SHANGHAI))
        assert reminders.deliver_reminder_email(reminder.pk) is False
    with time_machine.travel(at(2024, 1, 28, 7, 11), tick=False):
        assert reminders.pending_reminder_ids() == [reminder.pk]
        assert reminders.deliver_reminder_email(reminder.pk) is True
    assert len(mail.outbox) == 1


def test_a_failed_email_stays_unsent_and_is_delivered_on_the_next_run(coordinator, settings):
    reminder = missed_reminder(coordinator)
    settings.EMAIL_BACKEND = "tests.test_reminders.FailingEmailBackend"
    with pytest.raises(ConnectionRefusedError):
        reminders.deliver_reminder_email(reminder.pk)
    assert tasks.deliver_pending() == 0  # logged, not raised
    reminder.refresh_from_db()
    assert reminder.email_sent_at is None
    assert reminder.email_claimed_at is None
    assert reminder.email_attempts == 2
    assert reminder.email_last_error == "ConnectionRefusedError: SMTP server unreachable"

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert tasks.deliver_pending() == 1
    reminder.refresh_from_db()
    assert reminder.email_sent_at is not None
    assert (reminder.email_attempts, reminder.email_last_error) == (3, "")
    assert len(mail.outbox) == 1


def test_the_send_task_retries_with_backoff_and_leaves_the_row_for_the_sweep(coordinator, settings):
    reminder = missed_reminder(coordinator)
    settings.EMAIL_BACKEND = "tests.test_reminders.FailingEmailBackend"
    result = tasks.send_reminder_email.apply(args=[reminder.pk])  # eager: retries run at once
    assert result.failed()
    reminder.refresh_from_db()
    assert reminder.email_attempts == tasks.SEND_RETRIES + 1
    assert reminder.email_sent_at is None
    assert reminders.pending_reminder_ids() == [reminder.pk]
    assert [tasks.backoff_seconds(n) for n in (0, 1, 2, 7, 8)] == [30, 60, 120, 3600, 3600]


def test_no_coordinator_email_leaves_the_reminder_pending(coordinator):
    reminder = missed_reminder(coordinator)
    coordinator.email = ""
    coordinator.save()
    with pytest.raises(RuntimeError):
        reminders.deliver_reminder_email(reminder.pk)
    assert reminders.pending_reminder_ids() == [reminder.pk]
    assert mail.outbox == []


def test_new_reminders_enqueue_their_email_after_commit(coordinator, django_capture_on_commit_callbacks):
    enroll(coordinator)
    enroll(coordinator)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert reminders.reminder_sweep(date(2024, 1, 28)) == 2
    assert len(callbacks) == 2


def test_many_new_reminders_enqueue_one_delivery_run(coordinator, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(reminders, "EMAIL_FANOUT_LIMIT", 1)
    enroll(coordinator)
    enroll(coordinator)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert reminders.reminder_sweep(date(2024, 1, 28)) == 2
    assert len(callbacks) == 1  # deliver_pending sends both


# --- Management command -------------------------------------------------------------------------


def test_send_reminders_command_ends_with_the_count(coordinator, investigator):
    participant = enroll(coordinator)
    serious_ae(participant, investigator, awareness=at(2024, 1, 27, 9))
    out = StringIO()
    call_command("send_reminders", "--date", "2024-01-28", stdout=out)
    # W2 missed, and at 07:00 on 2024-01-28 the SAE (aware 2024-01-27 09:00) is due.
    assert out.getvalue().splitlines()[-1] == "2 reminders created"
    out = StringIO()
    call_command("send_reminders", "--date", "2024-01-28", stdout=out)
    assert out.getvalue().splitlines()[-1] == "0 reminders created"
    assert set(Reminder.objects.values_list("kind", flat=True)) == {"visit_missed", "sae_due"}


# --- In-app list ---------------------------------------------------------------------------------


def three_reminders(coordinator) -> list[Reminder]:
    for _ in range(3):
        enroll(coordinator)
    reminders.reminder_sweep(date(2024, 1, 28))
    return list(Reminder.objects.order_by("pk"))


def test_reminder_list_ladder(client, personas):
    assert client.get("/reminders/").status_code == 302
    for name in ("outsider", "dmc_reviewer", "data_manager", "api_client_user", "administrator"):
        assert logged_in(personas[name]).get("/reminders/").status_code == 403, name
    for name in ("coordinator", "investigator"):
        assert logged_in(personas[name]).get("/reminders/").status_code == 200, name


def test_reminder_list_shows_and_acknowledges_per_user(coordinator, investigator, django_assert_max_num_queries):
    first, *_ = three_reminders(coordinator)
    alice = logged_in(coordinator)
    with django_assert_max_num_queries(12):
        page = alice.get("/reminders/").content.decode()
    assert page.count("Visit missed") >= 3
    assert "SCR-001" in page and "S2018-11-003" in page
    response = alice.post(f"/reminders/{first.pk}/acknowledge/", {"next": "/reminders/?show=all"})
    assert response.status_code == 302 and response["Location"] == "/reminders/?show=all"
    assert ReminderAcknowledgement.objects.filter(reminder=first, user=coordinator).count() == 1
    alice.post(f"/reminders/{first.pk}/acknowledge/")  # a second click is harmless
    assert ReminderAcknowledgement.objects.count() == 1

    assert first.message not in alice.get("/reminders/").content.decode()
    assert 'class="reminder-visit_missed acknowledged' in alice.get("/reminders/?show=all").content.decode()
    assert first.message in alice.get("/reminders/?show=acknowledged").content.decode()
    assert first.message in logged_in(investigator).get("/reminders/").content.decode()


def test_acknowledge_needs_post_and_the_capability(coordinator, data_manager):
    first, *_ = three_reminders(coordinator)
    assert logged_in(coordinator).get(f"/reminders/{first.pk}/acknowledge/").status_code == 405
    assert logged_in(data_manager).post(f"/reminders/{first.pk}/acknowledge/").status_code == 403
    assert logged_in(coordinator).post("/reminders/999999/acknowledge/").status_code == 404
    assert not ReminderAcknowledgement.objects.exists()


# --- API -----------------------------------------------------------------------------------------


def test_api_lists_reminders_with_the_callers_acknowledgement(coordinator, investigator, django_assert_max_num_queries):
    first, second, third = three_reminders(coordinator)
    ReminderAcknowledgement.objects.create(reminder=first, user=investigator)
    alice = logged_in(coordinator)
    with django_assert_max_num_queries(11):
        body = alice.get("/api/v1/reminders/").json()
    assert body["count"] == 3
    assert body["results"][-1] == {
        "id": first.pk,
        "kind": "visit_missed",
        "participant": "SCR-001",
        "subject_id": "S2018-11-001",
        "visit_code": "W2",
        "ae_number": None,
        "due_date": "2024-01-27",
        "message": first.message,
        "created_at": body["results"][-1]["created_at"],
        "acknowledged": False,
    }
    ivan = logged_in(investigator)
    assert [r["id"] for r in ivan.get("/api/v1/reminders/?acknowledged=true").json()["results"]] == [first.pk]
    assert [r["id"] for r in ivan.get("/api/v1/reminders/?acknowledged=false").json()["results"]] == [
        third.pk,
        second.pk,
    ]
    assert ivan.get("/api/v1/reminders/?kind=sae_due").json()["count"] == 0
    assert ivan.get("/api/v1/reminders/?kind=visit_missed").json()["count"] == 3
    assert ivan.get("/api/v1/reminders/?kind=bogus").status_code == 400
    assert ivan.get("/api/v1/reminders/?acknowledged=maybe").status_code == 400


def test_api_acknowledge(coordinator, investigator):
    first, *_ = three_reminders(coordinator)
    alice = logged_in(coordinator)
    response = alice.post(f"/api/v1/reminders/{first.pk}/acknowledge/")
    assert response.status_code == 200
    assert response.json()["acknowledged"] is True
    assert alice.post(f"/api/v1/reminders/{first.pk}/acknowledge/").status_code == 200
    assert ReminderAcknowledgement.objects.filter(reminder=first).count() == 1
    assert alice.get(f"/api/v1/reminders/{first.pk}/").json()["acknowledged"] is True
    assert logged_in(investigator).get(f"/api/v1/reminders/{first.pk}/").json()["acknowledged"] is False
    assert alice.post("/api/v1/reminders/999999/acknowledge/").status_code == 404


def test_api_role_ladder(client, personas):
    assert client.get("/api/v1/reminders/").status_code == 401
    for name in ("outsider", "dmc_reviewer", "data_manager", "api_client_user", "administrator"):
        user_client = logged_in(personas[name])
        assert user_client.get("/api/v1/reminders/").status_code == 403, name
        assert user_client.post("/api/v1/reminders/1/acknowledge/").status_code == 403, name
    for name in ("coordinator", "investigator"):
        assert logged_in(personas[name]).get("/api/v1/reminders/").status_code == 200, name
    assert not ReminderAcknowledgement.objects.exists()
