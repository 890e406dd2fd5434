"""Locks hold for tasks run by a real Celery worker through Redis (the pattern of
tests/test_reminder_worker.py: the worker runs in a thread of this process, so it knows the tasks
imported here, and opens its own database connection, hence committed data)."""

from datetime import timedelta

import pytest
from celery import shared_task
from celery.contrib.testing.worker import start_worker
from celery.signals import task_failure
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connections
from django.utils import timezone

from datamanagement import services
from datamanagement.models import LockScope
from safety import tasks
from safety.models import Reminder
from subjects.models import Participant, Visit
from tests import factories
from tests.test_reminder_worker import redis_broker, wait_for  # noqa: F401 (the broker fixture)
from tests.test_reminders import TRANSACTIONAL_APPS
from trialsite.audit import audited_save
from trialsite.celery import app

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, available_apps=TRANSACTIONAL_APPS),
]


@shared_task
def correct_initials(participant_id: int, user_id: int, initials: str) -> None:
    """A task writing a clinical record through the audited save, as every task must."""
    participant = Participant.objects.get(pk=participant_id)
    participant.initials = initials
    audited_save(participant, user=get_user_model().objects.get(pk=user_id), reason="Corrected", validate=False)


@pytest.fixture
def failures():
    seen = []

    def remember(sender=None, exception=None, **kwargs):
        seen.append((sender.name, exception))

    task_failure.connect(remember, weak=False)
    yield seen
    task_failure.disconnect(remember)


@pytest.fixture
def participant(coordinator):
    day1 = timezone.localdate() - timedelta(days=31)
    return factories.enrolled_participant(
        coordinator, screening_date=day1 - timedelta(days=7), planned_day1=day1, day1=day1
    )


def test_a_worker_task_writing_a_locked_record_is_refused(
    redis_broker,  # noqa: F811
    participant,
    coordinator,
    data_manager,
    failures,
):
    services.lock_create(user=data_manager, scope=LockScope.PARTICIPANT, participant=participant, reason="Final")
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            correct_initials.delay(participant.pk, coordinator.pk, "ZZ")
            assert wait_for(lambda: len(failures) == 1)
    finally:
        connections.close_all()
    ((name, exception),) = failures
    assert name == correct_initials.name
    # RecordLocked, as Celery reports it after serialising the exception (a ValidationError)
    assert isinstance(exception, ValidationError) and "casebook was locked by dana" in str(exception)
    assert Participant.objects.get(pk=participant.pk).initials != "ZZ"


def test_the_worker_reminder_sweep_leaves_a_locked_visit_status(
    redis_broker,  # noqa: F811
    participant,
    data_manager,
    failures,
):
    """The project's sweep refreshes the visit status cache with a bulk UPDATE: locks freeze it too."""
    Visit.objects.filter(participant=participant).update(status="scheduled")  # stale cache
    w2 = participant.visits.get(visit_code="W2")
    services.lock_create(user=data_manager, scope=LockScope.VISIT, visit=w2, reason="Verified and frozen")
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            tasks.reminder_sweep.delay()
            assert wait_for(lambda: Reminder.objects.filter(visit__visit_code="W2").exists())
            assert wait_for(lambda: participant.visits.get(visit_code="W4").status == "open")
    finally:
        connections.close_all()
    assert failures == []
    assert participant.visits.get(visit_code="W2").status == "scheduled"  # locked: not refreshed
