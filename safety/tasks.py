"""Celery tasks of the safety app: reminder sweeps and e-mail delivery (scheduled in trialsite/celery.py).

Tasks take ids (JSON), call a service and are idempotent: the sweeps insert against unique
constraints and every e-mail is claimed with a conditional update before it is sent. A failed
send is retried with exponential back-off; after the last retry the row stays unsent and
`deliver_pending` (every 5 minutes) picks it up, so nothing is lost.
"""

from datetime import date

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.utils.log import get_task_logger
from django.utils import timezone

from safety import reminders

logger = get_task_logger(__name__)

SEND_RETRIES = 8
SEND_LIMITS = {"soft_time_limit": 30, "time_limit": 60}


def backoff_seconds(retries: int) -> int:
    """30 s, 60 s, 120 s, … capped at one hour."""
    return min(30 * 2**retries, 3600)


@shared_task(acks_late=True, soft_time_limit=240, time_limit=300)
def reminder_sweep(today: str | None = None, respect_reminder_hour: bool = False) -> int:
    """Visit reminders for `today` (ISO date; default: today's site date).

    Beat calls this hourly with respect_reminder_hour=True: it sweeps from Study.reminder_hour on
    (07:00 by default) and, the sweep being idempotent, the later runs of the day only catch up.
    """
    from subjects.models import Study
    from subjects.sitetime import site_zone

    study = Study.current()
    now = timezone.localtime(timezone.now(), site_zone(study))
    if respect_reminder_hour and not today and now.hour < study.reminder_hour:
        return 0
    created = reminders.reminder_sweep(date.fromisoformat(today) if today else now.date())
    logger.info("reminder sweep: %d reminders created", created)
    return created


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def participant_reminders(participant_id: int) -> int:
    """The visit and SAE reminders of one participant, due now (enqueued when their data is saved)."""
    from subjects.models import Study
    from subjects.sitetime import site_today

    created = reminders.reminder_sweep(site_today(Study.current()), participant_id=participant_id)
    created += reminders.sae_clock_sweep(timezone.now(), participant_id=participant_id)
    return created


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def sae_clock_sweep() -> int:
    created = reminders.sae_clock_sweep(timezone.now())
    logger.info("SAE clock sweep: %d reminders created", created)
    return created


@shared_task(bind=True, acks_late=True, max_retries=SEND_RETRIES, **SEND_LIMITS)
def send_reminder_email(self, reminder_id: int) -> bool:
    try:
        return reminders.deliver_reminder_email(reminder_id)
    except Exception as exc:
        raise self.retry(exc=exc, countdown=backoff_seconds(self.request.retries)) from exc


@shared_task(bind=True, acks_late=True, max_retries=SEND_RETRIES, **SEND_LIMITS)
def send_notification(self, notification_id: int) -> bool:
    from safety import notifications

    try:
        return notifications.deliver_notification(notification_id)
    except Exception as exc:
        raise self.retry(exc=exc, countdown=backoff_seconds(self.request.retries)) from exc


@shared_task(acks_late=True, soft_time_limit=240, time_limit=280)
def deliver_pending() -> int:
    """Send every unsent SAE notification and reminder e-mail; returns how many were sent.

    A failure is logged and left for the next run; an overlapping run cannot send twice (claims).
    """
    sent = 0
    try:
        for deliver, ids in _pending():
            for item_id in ids:
                try:
                    sent += bool(deliver(item_id))
                except SoftTimeLimitExceeded:
                    raise
                except Exception:
                    logger.exception("delivery of %s(%s) failed; the next run retries", deliver.__name__, item_id)
    except SoftTimeLimitExceeded:
        logger.warning("deliver_pending reached its time limit after %d sent; the next run continues", sent)
    return sent


def _pending():
    from safety import notifications

    yield notifications.deliver_notification, notifications.pending_notification_ids()
    yield reminders.deliver_reminder_email, reminders.pending_reminder_ids()
