from celery import shared_task

from datamanagement.reminders import query_reminder_sweep


@shared_task(acks_late=True, soft_time_limit=120, time_limit=150)
def query_reminders() -> int:
    return query_reminder_sweep()
