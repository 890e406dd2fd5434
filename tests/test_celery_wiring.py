"""Celery wiring: the one beat schedule, task options, the reminder hour, and a broker that is down."""

import logging
from datetime import date
from io import StringIO

import pytest
import time_machine
from celery.schedules import crontab
from django.core import mail
from django.core.management import call_command

from safety import tasks
from safety.models import Notification, Reminder
from subjects.models import Study
from tests.test_reminders import at, enroll, serious_ae
from trialsite.celery import app
from trialsite.tasking import enqueue_now

TASKS = (
    "safety.tasks.reminder_sweep",
    "safety.tasks.sae_clock_sweep",
    "safety.tasks.deliver_pending",
    "safety.tasks.send_reminder_email",
    "safety.tasks.send_notification",
    "trialsite.tasks.verify_audit_trail",
    "datamanagement.tasks.query_reminders",
)


def test_the_beat_schedule_names_registered_tasks():
    schedule = app.conf.beat_schedule
    assert {entry["task"] for entry in schedule.values()} == {
        "safety.tasks.reminder_sweep",
        "safety.tasks.sae_clock_sweep",
        "safety.tasks.deliver_pending",
        "trialsite.tasks.verify_audit_trail",
        "datamanagement.tasks.query_reminders",
    }
    reminder_entry = schedule["daily-visit-reminders"]
    assert reminder_entry["schedule"] == crontab(minute=0)  # hourly; the task waits for Study.reminder_hour
    assert reminder_entry["kwargs"] == {"respect_reminder_hour": True}
    assert schedule["hourly-sae-clock"]["schedule"] == crontab(minute=5)
    assert schedule["deliver-notifications"]["schedule"] == 300.0
    app.loader.import_default_modules()
    assert set(TASKS) <= set(app.tasks)


@pytest.mark.parametrize("name", TASKS)
def test_tasks_ack_late_with_time_limits(name):
    app.loader.import_default_modules()  # the tasks modules, whatever ran before in this process
    task = app.tasks[name]
    assert task.acks_late is True
    assert 0 < task.soft_time_limit < task.time_limit
    assert task.serializer == "json"
    assert app.conf.accept_content == ["json"]


def test_the_daily_sweep_waits_for_the_reminder_hour(coordinator):
    enroll(coordinator)  # W2 of this participant is missed from 2024-01-28
    with time_machine.travel(at(2024, 1, 28, 6, 59), tick=False):
        assert tasks.reminder_sweep.apply(kwargs={"respect_reminder_hour": True}).get() == 0
    assert not Reminder.objects.exists()
    with time_machine.travel(at(2024, 1, 28, 7, 0), tick=False):
        assert tasks.reminder_sweep.apply(kwargs={"respect_reminder_hour": True}).get() == 1
    with time_machine.travel(at(2024, 1, 28, 8, 0), tick=False):  # the next hourly run only catches up
        assert tasks.reminder_sweep.apply(kwargs={"respect_reminder_hour": True}).get() == 0


def test_the_reminder_hour_is_study_configuration(coordinator):
    Study.objects.update(reminder_hour=9)
    enroll(coordinator)
    with time_machine.travel(at(2024, 1, 28, 8, 30), tick=False):
        assert tasks.reminder_sweep.apply(kwargs={"respect_reminder_hour": True}).get() == 0
        assert tasks.reminder_sweep.apply().get() == 1  # run by hand: sweeps at once


def test_the_sweep_task_takes_an_iso_date(coordinator):
    enroll(coordinator)
    assert tasks.reminder_sweep.apply(args=["2024-01-21"]).get() == 1
    assert Reminder.objects.get().kind == "window_open"


def test_the_sae_clock_task_uses_the_current_time(coordinator, investigator):
    participant = enroll(coordinator)
    serious_ae(participant, investigator, awareness=at(2024, 1, 12, 9))
    with time_machine.travel(at(2024, 1, 13, 10), tick=False):
        assert tasks.sae_clock_sweep.apply().get() == 1
    assert Reminder.objects.get().kind == "sae_overdue"


def test_send_notification_and_deliver_pending_send_the_sae_outbox(coordinator, investigator):
    participant = enroll(coordinator)
    ae = serious_ae(participant, investigator, awareness=at(2024, 1, 12, 9))
    first = Notification.objects.create(kind="sae_created", adverse_event=ae)
    assert tasks.send_notification.apply(args=[first.pk]).get() is True
    assert tasks.send_notification.apply(args=[first.pk]).get() is False
    assert len(mail.outbox) == 1
    second_ae = serious_ae(participant, investigator, number=2, awareness=at(2024, 1, 14, 9))
    Notification.objects.create(kind="sae_created", adverse_event=second_ae)
    assert tasks.deliver_pending() == 1
    assert tasks.deliver_pending() == 0
    assert len(mail.outbox) == 2
    assert Notification.objects.filter(sent_at__isnull=True).count() == 0


@pytest.fixture
def broker_down():
    """Publish to a port where no broker listens, then restore the real broker."""

    def forget_pools():  # kombu keeps its pools per broker URL; only drop the app's handles
        app._pool = None
        app.amqp._producer_pool = None

    saved = app.conf.broker_write_url, app.conf.broker_transport_options
    forget_pools()
    app.conf.broker_write_url = "redis://127.0.0.1:1/0"
    app.conf.broker_transport_options = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1}
    yield
    forget_pools()
    app.conf.broker_write_url, app.conf.broker_transport_options = saved


def test_broker_down_is_logged_and_the_next_run_catches_up(
    broker_down, coordinator, caplog, django_capture_on_commit_callbacks
):
    enroll(coordinator)
    assert enqueue_now("safety.tasks.deliver_pending") is False
    out = StringIO()
    with caplog.at_level(logging.ERROR, logger="trialsite.tasking"):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            call_command("send_reminders", "--date", "2024-01-28", stdout=out)
    assert out.getvalue().splitlines()[-1] == "1 reminders created"
    assert len(callbacks) == 1
    assert "could not enqueue safety.tasks.send_reminder_email" in caplog.text
    reminder = Reminder.objects.get()
    assert reminder.email_sent_at is None
    assert tasks.deliver_pending() == 1  # the periodic delivery sends what was not enqueued
    reminder.refresh_from_db()
    assert reminder.email_sent_at is not None
    assert [m.subject for m in mail.outbox] == ["[S2018-11] Visit missed: S2018-11-001"]
    assert date(2024, 1, 27) == reminder.due_date
