"""SAE notifications: one outbox row per SAE, turned into exactly one e-mail."""

import threading
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.utils import timezone

from safety.models import Notification
from safety.notifications import deliver_notification, pending_notification_ids
from safety.services import adverse_event_record, adverse_event_update
from tests import factories
from trialsite import figures

TZ = ZoneInfo("Asia/Shanghai")

AE = dict(
    term="Anaphylaxis",
    onset_date=date(2024, 1, 24),
    end_date=date(2024, 1, 25),
    ongoing=False,
    grade=3,
    serious=True,
    life_threatening=True,
    relationship="unlikely",
    expected=False,
    action_taken="drug_interrupted",
    outcome="recovered",
    awareness_time=datetime(2024, 1, 24, 10, 15, tzinfo=TZ),
)


@pytest.fixture
def sae(coordinator, investigator, dmc_reviewer, study):
    participant = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10), initials="QXZ")
    return adverse_event_record(participant=participant, user=coordinator, **AE)


@pytest.mark.django_db
def test_serious_ae_writes_one_outbox_row_and_enqueues(coordinator, study, django_capture_on_commit_callbacks):
    participant = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
    with django_capture_on_commit_callbacks() as callbacks:
        ae = adverse_event_record(participant=participant, user=coordinator, **AE)
    enqueued = [callback for callback in callbacks if callback is not figures.new_generation]
    assert len(enqueued) == 2  # the notification task and the participant's reminder sweep (+ DMC figures stale)
    notification = Notification.objects.get()
    assert (notification.adverse_event, notification.kind, notification.sent_at) == (ae, "sae_created", None)
    adverse_event_update(adverse_event=ae, user=coordinator, reason="typo", term="Anaphylactic reaction")
    assert Notification.objects.count() == 1


@pytest.mark.django_db
def test_non_serious_ae_becoming_serious_writes_the_row(coordinator, study):
    participant = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
    ae = adverse_event_record(
        participant=participant,
        user=coordinator,
        **{**AE, "serious": False, "life_threatening": False, "awareness_time": None},
    )
    assert Notification.objects.count() == 0
    adverse_event_update(
        adverse_event=ae,
        user=coordinator,
        reason="Hospitalised",
        serious=True,
        hospitalization=True,
        awareness_time=datetime(2024, 1, 26, 8, 0, tzinfo=TZ),
    )
    assert Notification.objects.filter(adverse_event=ae).count() == 1


@pytest.mark.django_db
def test_delivered_exactly_once_even_when_run_twice(sae, investigator, dmc_reviewer, coordinator):
    notification = Notification.objects.get()
    assert pending_notification_ids() == [notification.id]
    assert deliver_notification(notification.id) is True
    assert deliver_notification(notification.id) is False
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == sorted([investigator.email, dmc_reviewer.email])
    assert coordinator.email not in message.to
    assert "S2018-11-001" in message.subject
    for text in ("Anaphylaxis", "grade: 3", "2024-01-24 10:15", "2024-01-25 10:15"):
        assert text in message.body
    assert "QXZ" not in message.body + message.subject  # no initials
    assert "1980" not in message.body  # no date of birth
    notification.refresh_from_db()
    assert notification.sent_at is not None and notification.attempts == 1
    assert pending_notification_ids() == []


@pytest.mark.django_db
def test_failed_delivery_releases_claim_and_reraises(sae, settings):
    settings.EMAIL_BACKEND = "tests.test_notifications.FailingBackend"
    notification = Notification.objects.get()
    with pytest.raises(ConnectionRefusedError):
        deliver_notification(notification.id)
    notification.refresh_from_db()
    assert (notification.sent_at, notification.claimed_at, notification.attempts) == (None, None, 1)
    assert "ConnectionRefusedError" in notification.last_error
    assert pending_notification_ids() == [notification.id]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert deliver_notification(notification.id) is True
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_stale_claim_is_taken_over(sae):
    notification = Notification.objects.get()
    Notification.objects.filter(pk=notification.pk).update(claimed_at=timezone.now() - timezone.timedelta(minutes=11))
    assert pending_notification_ids() == [notification.id]
    assert deliver_notification(notification.id) is True
    Notification.objects.filter(pk=notification.pk).update(sent_at=None, claimed_at=timezone.now())
    assert deliver_notification(notification.id) is False  # a fresh claim is respected
    assert len(mail.outbox) == 1


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server down")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, available_apps=list(settings.INSTALLED_APPS))
def test_two_workers_at_once_send_one_email(require_postgres, sae):
    notification_id = Notification.objects.get().id
    barrier = threading.Barrier(2)
    results = []

    def worker():
        try:
            barrier.wait()
            results.append(deliver_notification(notification_id))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_each_recipient_reads_the_sae_e_mail_in_their_language(sae, investigator, dmc_reviewer):
    from trialsite.models import UserPreference

    UserPreference.objects.create(user=investigator, language="zh-hans")
    notification = Notification.objects.get()
    assert deliver_notification(notification.id) is True
    by_recipient = {tuple(m.to): m for m in mail.outbox}
    assert set(by_recipient) == {(investigator.email,), (dmc_reviewer.email,)}
    assert "严重不良事件" in by_recipient[(investigator.email,)].subject
    assert "Serious adverse event" in by_recipient[(dmc_reviewer.email,)].subject
    notification.refresh_from_db()
    assert sorted(notification.recipients) == sorted([investigator.email, dmc_reviewer.email])
