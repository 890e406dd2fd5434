"""Reminders appear when the triggering data is saved: a saved visit or SAE sweeps that participant's
reminders on commit (safety.tasks.participant_reminders); the periodic sweeps stay as the safety net."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from safety import reminders, tasks
from safety.models import Reminder
from safety.services import adverse_event_record
from subjects.sitetime import site_today
from tests import factories

pytestmark = pytest.mark.django_db


def sae(participant, user, awareness):
    return adverse_event_record(
        participant=participant,
        user=user,
        term="Pneumonia",
        onset_date=awareness.date(),
        end_date=None,
        ongoing=True,
        grade=3,
        serious=True,
        hospitalization=True,
        relationship="not_related",
        expected=False,
        action_taken="not_applicable",
        outcome="recovering",
        awareness_time=awareness,
    )


def test_saving_an_sae_or_a_visit_enqueues_the_participants_sweep(coordinator, monkeypatch):
    enqueued = []
    monkeypatch.setattr(reminders, "enqueue_on_commit", lambda name, *args: enqueued.append((name, *args)))
    participant = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
    assert ("safety.tasks.participant_reminders", participant.pk) in enqueued  # its visits were created
    enqueued.clear()
    sae(participant, coordinator, timezone.now() - timedelta(hours=1))
    assert enqueued == [("safety.tasks.participant_reminders", participant.pk)]


def test_the_task_sweeps_one_participant_at_once_and_is_idempotent(coordinator):
    now = timezone.now()
    mine = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
    other = factories.enrolled_participant(coordinator, day1=date(2024, 1, 10))
    sae(mine, coordinator, now - timedelta(hours=1))
    sae(other, coordinator, now - timedelta(hours=1))
    assert tasks.participant_reminders(mine.pk) >= 1
    assert Reminder.objects.filter(participant=mine, kind=Reminder.Kind.SAE_DUE).count() == 1
    assert not Reminder.objects.filter(participant=other).exists()
    assert tasks.participant_reminders(mine.pk) == 0  # a retry or the periodic sweep adds nothing
    assert reminders.sae_clock_sweep(now) == 1  # the safety net still finds the other one


def test_a_visit_window_opening_today_is_reminded_at_once_before_the_reminder_hour(coordinator):
    today = site_today()
    # W0's window opens the day after screening (the screening window), so here it opens today
    participant = factories.enrolled_participant(
        coordinator, screening_date=today - timedelta(days=1), planned_day1=today + timedelta(days=2)
    )
    assert participant.visits.get(visit_code="W0").window_start == today
    tasks.participant_reminders(participant.pk)
    assert Reminder.objects.filter(participant=participant, visit__visit_code="W0", kind="window_open").exists()
