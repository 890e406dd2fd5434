"""A real Celery worker, through Redis, runs the reminder sweep and sends the reminder e-mails.

The worker runs in a thread of this process (celery.contrib.testing.worker.start_worker), so
it shares the locmem e-mail outbox; it opens its own database connection, which is why the test
needs committed data (transactional_db) and a database other threads can reach.
"""

import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings as django_settings
from django.core import mail
from django.db import connections
from django.utils import timezone

from safety import tasks
from safety.models import Reminder
from tests import factories
from tests.conftest import IN_CI
from tests.test_reminders import TRANSACTIONAL_APPS
from trialsite.celery import app

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, available_apps=TRANSACTIONAL_APPS),
]


@pytest.fixture
def redis_broker():
    url = django_settings.CELERY_BROKER_URL
    if not url.startswith("redis://"):
        if IN_CI:
            pytest.fail("the Celery worker test needs CELERY_BROKER_URL=redis://...")
        pytest.skip("needs Redis (set CELERY_BROKER_URL=redis://127.0.0.1:6379/<db>)")
    app.control.purge()  # leftovers of earlier runs must not reach this worker
    return url


def wait_for(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def test_worker_sweeps_and_emails_the_coordinators(redis_broker, coordinator):
    today = timezone.localdate()
    day1 = today - timedelta(days=31)
    # W2 (window day1+11 .. day1+17) was missed; W4 (day1+25 .. day1+31) closes today.
    participant = factories.enrolled_participant(
        coordinator, screening_date=day1 - timedelta(days=7), planned_day1=day1, day1=day1
    )
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            tasks.reminder_sweep.delay()
            assert wait_for(lambda: Reminder.objects.filter(email_sent_at__isnull=False).count() == 2)
            assert wait_for(lambda: len(mail.outbox) == 2)
    finally:
        connections.close_all()

    assert set(Reminder.objects.values_list("visit__visit_code", "kind")) == {
        ("W2", "visit_missed"),
        ("W4", "window_closes_today"),
    }
    assert participant.visits.get(visit_code="W2").status == "missed"
    assert sorted(message.subject for message in mail.outbox) == [
        "[S2018-11] Visit missed: S2018-11-001",
        "[S2018-11] Visit window closes today: S2018-11-001",
    ]
    assert all(message.to == ["alice@example.org"] for message in mail.outbox)
    assert list(Reminder.objects.values_list("email_attempts", flat=True)) == [1, 1]
