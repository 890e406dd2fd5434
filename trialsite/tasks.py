"""The nightly verification of the audit trail (scheduled in trialsite/celery.py).

Each run records an AuditCheck; a failed one is e-mailed to the data managers, claimed with a
conditional update so a retried or overlapping run never sends it twice. An e-mail that could not
be sent stays pending and goes out with the next run.
"""

from datetime import timedelta

from celery import shared_task
from celery.utils.log import get_task_logger
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from trialsite import chain
from trialsite.i18n import emails_by_language, send_in_languages
from trialsite.models import AuditCheck
from trialsite.roles import Role

logger = get_task_logger(__name__)
CLAIM_STALE_AFTER = timedelta(minutes=10)


@shared_task(acks_late=True, soft_time_limit=1800, time_limit=1900)
def verify_audit_trail() -> bool:
    """Recompute the hash chain, record the result, tell the data managers when it is broken."""
    result = chain.verify()
    AuditCheck.objects.create(
        intact=result.ok,
        rows=result.rows,
        head_position=result.head.position,
        head_hash=result.head.chain_hash,
        problem="\n".join(result.problems[:50]),
    )
    if result.ok:
        logger.info("audit trail intact: %d rows, head %d", result.rows, result.head.position)
    else:
        logger.error("audit trail NOT intact: %s", result.problems[0])
    for check_id in pending_alerts():
        try:
            deliver_alert(check_id)
        except Exception:
            logger.exception("the audit-trail alert %s could not be sent; the next run retries", check_id)
    return result.ok


def _claimable(now):
    return Q(intact=False, notified_at__isnull=True) & (
        Q(notify_claimed_at__isnull=True) | Q(notify_claimed_at__lt=now - CLAIM_STALE_AFTER)
    )


def pending_alerts() -> list[int]:
    return list(AuditCheck.objects.filter(_claimable(timezone.now())).order_by("id").values_list("id", flat=True))


def data_manager_emails() -> dict[str, list[str]]:
    """The data managers' addresses by the language of their e-mails (their own, else English: this
    layer does not read the study's configuration)."""
    users = get_user_model().objects.filter(is_active=True, groups__name=Role.DATA_MANAGER.value)
    return emails_by_language(users, settings.LANGUAGE_CODE)


def deliver_alert(check_id: int) -> bool:
    """E-mail one failed check to the data managers; False when sent already or claimed by another run."""
    now = timezone.now()
    if AuditCheck.objects.filter(_claimable(now), pk=check_id).update(notify_claimed_at=now) != 1:
        return False
    check = AuditCheck.objects.get(pk=check_id)
    when = timezone.localtime(check.checked_at).strftime("%Y-%m-%d %H:%M %Z")

    def render():
        body = "\n".join(
            [
                gettext("The nightly verification of the audit trail on %(when)s found that it is not intact.")
                % {"when": when},
                "",
                check.problem,
                "",
                gettext("Rows verified: %(rows)d. Chain head: position %(position)d, sha256 %(hash)s.")
                % {"rows": check.rows, "position": check.head_position, "hash": check.head_hash},
                gettext(
                    "Compare it with the chain head of the last audit-trail export kept elsewhere; run "
                    "`manage.py verify_audit` for the details."
                ),
            ]
        )
        return gettext("Audit trail NOT intact"), body

    try:
        send_in_languages(data_manager_emails(), render)
    except Exception as error:
        AuditCheck.objects.filter(pk=check_id).update(
            notify_claimed_at=None,
            notify_attempts=F("notify_attempts") + 1,
            notify_last_error=f"{type(error).__name__}: {error}"[:2000],
        )
        raise
    AuditCheck.objects.filter(pk=check_id).update(notified_at=timezone.now(), notify_attempts=F("notify_attempts") + 1)
    return True
