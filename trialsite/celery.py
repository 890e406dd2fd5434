"""The Celery app and the one beat schedule of the project (all times in the site time zone)."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trialsite.settings")

app = Celery("trialsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The daily visit-reminder sweep fires every hour but only sweeps from Study.reminder_hour
# (07:00 site time by default) on; being idempotent, the later runs of the day only catch up
# what a missed run (worker or broker down) did not create. The hour is study configuration,
# so it lives in the database, not here.
app.conf.beat_schedule = {
    "daily-visit-reminders": {
        "task": "safety.tasks.reminder_sweep",
        "schedule": crontab(minute=0),
        "kwargs": {"respect_reminder_hour": True},
    },
    "hourly-sae-clock": {
        "task": "safety.tasks.sae_clock_sweep",
        "schedule": crontab(minute=5),
    },
    "deliver-notifications": {
        "task": "safety.tasks.deliver_pending",
        "schedule": 300.0,
    },
    "daily-query-reminders": {
        "task": "datamanagement.tasks.query_reminders",
        "schedule": crontab(minute=15, hour=8),
    },
    # Recomputes the audit trail's hash chain; the data managers are e-mailed when it is broken.
    "nightly-audit-verification": {
        "task": "trialsite.tasks.verify_audit_trail",
        "schedule": crontab(hour=2, minute=30),
    },
}
