"""Run the reminder sweeps synchronously: `manage.py send_reminders [--date YYYY-MM-DD]`."""

from datetime import date, datetime, time

from django.core.management.base import BaseCommand
from django.utils import timezone

from safety import reminders
from subjects.models import Study
from subjects.sitetime import site_today, site_zone


class Command(BaseCommand):
    help = (
        "Create the visit reminders due on a date (default: today's site date) and the SAE-clock "
        "reminders at that time (for another date: at the study's reminder hour of that date). "
        "Idempotent: a repeated run for the same date creates 0 reminders."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", type=date.fromisoformat, help="site-local date, YYYY-MM-DD")

    def handle(self, *args, date=None, **options):
        study = Study.current()
        today = site_today(study)
        if date is None or date == today:
            on, now = today, timezone.now()
        else:
            on = date
            now = datetime.combine(date, time(study.reminder_hour), tzinfo=site_zone(study))
        created = reminders.reminder_sweep(on) + reminders.sae_clock_sweep(now)
        self.stdout.write(f"{created} reminders created")
