"""Reminders of open queries older than QUERY_REMINDER_DAYS, for the assignee (or, unassigned, every
coordinator and investigator), shown on the reminders page and e-mailed once."""

from datetime import datetime, timedelta

from django.core.mail import send_mail
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from datamanagement.editchecks import shown_text
from datamanagement.models import Query, QueryReminder, QueryState
from subjects.models import Study
from trialsite.i18n import user_language

QUERY_REMINDER_DAYS = 7


def query_reminder_sweep(*, now: datetime | None = None) -> int:
    """Insert the missing reminders and e-mail each assignee once; returns the reminders e-mailed."""
    now = now or timezone.now()
    due = Query.objects.filter(
        state=QueryState.OPEN, raised_at__lt=now - timedelta(days=QUERY_REMINDER_DAYS), reminder__isnull=True
    ).values_list("pk", "assignee_id")
    QueryReminder.objects.bulk_create(
        [QueryReminder(query_id=pk, user_id=assignee) for pk, assignee in due], ignore_conflicts=True
    )
    sent = 0
    pending = QueryReminder.objects.filter(email_sent_at=None, user__isnull=False).select_related("user", "query")
    for reminder in pending:
        if not QueryReminder.objects.filter(pk=reminder.pk, email_sent_at=None).update(email_sent_at=now):
            continue  # another worker took it
        if reminder.user.email:
            query = reminder.query
            # in the recipient's language (their profile's, else the study's default)
            with translation.override(user_language(reminder.user) or Study.current().default_language):
                subject = _("Open data query %(id)s is older than %(days)s days") % {
                    "id": query.pk,
                    "days": QUERY_REMINDER_DAYS,
                }
                body = _("Query %(id)s on %(type)s %(record)s: %(text)s") % {
                    "id": query.pk,
                    "type": query.record_type,
                    "record": query.record_id,
                    "text": shown_text(query.latest_text),
                }
            send_mail(subject, body, None, [reminder.user.email])
            sent += 1
    return sent


def query_reminders_for(user) -> QuerySet:
    """The user's reminders of queries that are still open."""
    return (
        QueryReminder.objects.filter(query__state=QueryState.OPEN)
        .filter(Q(user=user) | Q(user=None))
        .select_related("query", "query__participant", "query__visit")
        .order_by("query__raised_at")
    )
