"""Turning Notification outbox rows into e-mails, exactly once.

A worker claims a row with a conditional UPDATE (unsent, and unclaimed or claimed so long ago
that the claimer must have died) and only the worker whose UPDATE changed the row sends it,
so a retried task or a second worker never sends the same notification twice.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from safety import rules
from safety.models import Notification
from subjects.models import Study
from subjects.sitetime import site_zone
from trialsite.i18n import emails_by_language, send_in_languages
from trialsite.roles import Role

CLAIM_STALE_AFTER = timedelta(minutes=10)


def _claimable(now):
    return Q(sent_at__isnull=True) & (Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_STALE_AFTER))


def pending_notification_ids() -> list[int]:
    """Unsent notifications nobody is working on (for the periodic catch-up sweep)."""
    return list(Notification.objects.filter(_claimable(timezone.now())).order_by("id").values_list("id", flat=True))


def recipients(roles=(Role.INVESTIGATOR, Role.DMC_REVIEWER)) -> dict[str, list[str]]:
    """E-mail addresses of every active user of `roles` (investigators and DMC reviewers by default),
    grouped by the language each reads their e-mails in."""
    users = get_user_model().objects.filter(is_active=True, groups__name__in=[role.value for role in roles])
    return emails_by_language(users.distinct(), Study.current().default_language)


def deliver_notification(notification_id: int) -> bool:
    """Send one notification's e-mail; False when it was already sent or another worker holds it.

    On failure the claim is released, the attempt counted and the error re-raised so the task
    retries with back-off.
    """
    now = timezone.now()
    claimed = Notification.objects.filter(_claimable(now), pk=notification_id).update(claimed_at=now)
    if claimed != 1:
        return False
    notification = Notification.objects.select_related("adverse_event__participant").get(pk=notification_id)
    groups = recipients() if notification.adverse_event_id else recipients((Role.INVESTIGATOR,))
    try:
        to = send_in_languages(groups, lambda: render_message(notification))
    except Exception as error:
        Notification.objects.filter(pk=notification_id).update(
            claimed_at=None, attempts=F("attempts") + 1, last_error=f"{type(error).__name__}: {error}"[:2000]
        )
        raise
    Notification.objects.filter(pk=notification_id).update(
        sent_at=timezone.now(), attempts=F("attempts") + 1, recipients=to, last_error=""
    )
    return True


def render_message(notification: Notification) -> tuple[str, str]:
    """Subject and body without personal data: subject ID, term, grade, awareness and due time; in the
    active language (deliver_notification writes one e-mail per language of its recipients)."""
    if notification.adverse_event_id is None:
        return notification.subject, notification.body
    study = Study.current()
    adverse_event = notification.adverse_event
    subject_id = adverse_event.participant.display_id
    due_at = rules.sae_due_at(adverse_event.awareness_time, study.sae_report_hours)

    zone = site_zone(study)

    def local(moment):
        return timezone.localtime(moment, zone).strftime("%Y-%m-%d %H:%M %Z") if moment else _("not recorded")

    values = {
        "study": study.study_id,
        "subject": subject_id,
        "number": adverse_event.ae_number,
        "term": adverse_event.term,
        "grade": adverse_event.grade,
        "awareness": local(adverse_event.awareness_time),
        "due": local(due_at),
        "hours": study.sae_report_hours,
    }
    subject = _("[%(study)s] Serious adverse event: %(subject)s, AE %(number)s") % values
    body = "\n".join(
        [
            _("A serious adverse event was recorded in study %(study)s.") % values,
            "",
            _("Subject: %(subject)s") % values,
            _("AE number: %(number)s") % values,
            _("Term: %(term)s") % values,
            _("CTCAE grade: %(grade)s") % values,
            _("Investigator awareness: %(awareness)s") % values,
            _("Report to the sponsor due: %(due)s (%(hours)s h after awareness)") % values,
            "",
            _("Open the safety dashboard in Trialsite for details."),
        ]
    )
    return subject, body
