"""The Celery app and the one beat schedule of the project (all times in the site time zone)."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trialsite.settings")

app = Celery("trialsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "daily-visit-reminders": {
        "task": "safety.tasks.reminder_sweep",
        "schedule": crontab(hour=7, minute=0),
    },
    "hourly-sae-clock": {
        "task": "safety.tasks.sae_clock_sweep",
        "schedule": crontab(minute=5),
    },
    "deliver-notifications": {
        "task": "safety.tasks.deliver_pending",
        "schedule": 300.0,
    },
}
