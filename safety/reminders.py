"""Visit-window and SAE-clock reminders (PROTOCOL §3, §6): the sweeps, acknowledgement, e-mail.

A reminder is a row, at most one per (visit or AE, kind), guaranteed by the partial unique
constraints on `Reminder`: the sweeps insert with ON CONFLICT DO NOTHING, so re-running a sweep,
a retry or two workers at once never duplicate. Each sweep runs a constant number of queries:
SQL selects only the visits (or SAEs) something is due for, the rules decide per row, one bulk
insert writes the reminders. E-mail is an outbox on the same row: claimed with a conditional
update, marked sent after sending, retried (and swept up by `deliver_pending`) until it is sent.
"""

import uuid
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from safety import rules
from safety.models import AdverseEvent, Reminder, ReminderAcknowledgement
from subjects import schedule
from subjects.models import ParticipantStatus, Study, Visit
from subjects.sitetime import site_zone
from subjects.visits import visit_refresh_statuses
from trialsite.i18n import emails_by_language, send_in_languages
from trialsite.roles import Role
from trialsite.tasking import enqueue_on_commit

Kind = Reminder.Kind
OPENING_KINDS = (Kind.WINDOW_OPENS_SOON, Kind.WINDOW_OPEN)
# What the sweep reads of a visit: the window, the state inputs and the participant's ids.
VISIT_COLUMNS = (
    "participant_id",
    "visit_code",
    "window_start",
    "window_end",
    "actual_date",
    "not_done_reason",
    "status",
    "participant__screening_number",
    "participant__subject_id",
    "participant__usubjid",
)
# A claim older than this belongs to a worker that died mid-send; another run may take it over.
EMAIL_CLAIM_TIMEOUT = timedelta(minutes=10)
# Beyond this many new reminders one deliver_pending task is enqueued instead of one task each.
EMAIL_FANOUT_LIMIT = 100
# The stored `message` of a reminder is written in English (the API serves it as it is); pages and
# e-mails show reminder_text, in the reader's language.
STORED_LANGUAGE = "en-gb"


# --- Rules (pure) ------------------------------------------------------------------------------


def visit_reminder_kinds(*, today: date, window_start: date, window_end: date, lead_days: int) -> list[str]:
    """The reminder kinds due today for a visit that is neither done nor recorded as not done."""
    kinds = []
    if today == window_start - timedelta(days=lead_days):
        kinds.append(Kind.WINDOW_OPENS_SOON)
    if today == window_start:
        kinds.append(Kind.WINDOW_OPEN)
    if today == window_end:
        kinds.append(Kind.WINDOW_CLOSES_TODAY)
    state = schedule.visit_state(
        today=today, window_start=window_start, window_end=window_end, actual_date=None, not_done=False
    )
    if state == schedule.MISSED:
        kinds.append(Kind.VISIT_MISSED)
    return kinds


def _visit_message(kind: str, who: str, visit: Visit, days: int) -> str:
    """The text of a visit reminder in the active language; `days`: until the window opens."""
    values = {
        "who": who,
        "start": f"{visit.window_start:%Y-%m-%d}",
        "end": f"{visit.window_end:%Y-%m-%d}",
        "days": days,
    }
    if kind == Kind.WINDOW_OPENS_SOON:
        return (
            ngettext(
                "%(who)s: the visit window opens in %(days)s day (window %(start)s to %(end)s).",
                "%(who)s: the visit window opens in %(days)s days (window %(start)s to %(end)s).",
                days,
            )
            % values
        )
    if kind == Kind.WINDOW_OPEN:
        return _("%(who)s: the visit window is open from today (window %(start)s to %(end)s).") % values
    if kind == Kind.WINDOW_CLOSES_TODAY:
        return _("%(who)s: the visit window closes today (window %(start)s to %(end)s).") % values
    return (
        _("%(who)s: the window %(start)s to %(end)s closed without a visit; record the visit or mark it not done.")
        % values
    )


def _sae_message(kind: str, who: str, due_at: datetime, zone) -> str:
    values = {"who": who, "due": timezone.localtime(due_at, zone).strftime("%Y-%m-%d %H:%M")}
    if kind == Kind.SAE_DUE:
        return (_("%(who)s: serious adverse event, report to the sponsor by %(due)s.") % values)[:300]
    return (_("%(who)s: the SAE report to the sponsor was due %(due)s and is overdue.") % values)[:300]


def _visit_who(participant, visit: Visit) -> str:
    return f"{participant.display_id} {visit.visit_code}"


def _ae_who(participant, ae: AdverseEvent) -> str:
    return f"{participant.display_id} AE {ae.ae_number} ({ae.term})"


def reminder_text(reminder: Reminder, study: Study) -> str:
    """The reminder's message in the active language, from its visit or AE (with participant, visit and
    adverse_event selected); the stored `message` is the English text the sweep wrote."""
    if reminder.visit_id is not None:
        days = study.reminder_lead_days if reminder.kind == Kind.WINDOW_OPENS_SOON else 0
        return _visit_message(reminder.kind, _visit_who(reminder.participant, reminder.visit), reminder.visit, days)
    ae = reminder.adverse_event
    due_at = rules.sae_due_at(ae.awareness_time, study.sae_report_hours) if ae is not None else None
    if due_at is None:
        return reminder.message
    return _sae_message(reminder.kind, _ae_who(reminder.participant, ae), due_at, site_zone(study))


# --- Sweeps ------------------------------------------------------------------------------------


@transaction.atomic
def reminder_sweep(today: date, participant_id: int | None = None) -> int:
    """Create the visit reminders due on `today` (a site-local date); returns how many were created.
    `participant_id`: only that participant's visits (the immediate sweep after a save).

    Also refreshes the cached status of the active participants' open visits (scheduled → open →
    missed), so a visit whose window closed without a visit is marked missed.
    """
    lead_days = Study.current().reminder_lead_days
    missed_reminder = Reminder.objects.filter(visit=OuterRef("pk"), kind=Kind.VISIT_MISSED)
    status_is_current = (
        Q(status=schedule.SCHEDULED, window_start__gt=today)
        | Q(status=schedule.OPEN, window_start__lte=today, window_end__gte=today)
        | Q(status=schedule.MISSED, window_end__lt=today)
    )
    due = (
        Q(window_start=today + timedelta(days=lead_days))
        | Q(window_start=today)
        | Q(window_end=today)
        | (Q(window_end__lt=today) & ~Exists(missed_reminder))
        | ~status_is_current
    )
    visits = (
        Visit.objects.filter(
            participant__status=ParticipantStatus.ENROLLED,
            participant__withdrawal_date__isnull=True,
            actual_date__isnull=True,
            not_done_reason="",
        )
        .filter(due)
        .select_related("participant")
        .only(*VISIT_COLUMNS)
        .order_by("pk")
    )
    if participant_id is not None:
        visits = visits.filter(participant_id=participant_id)
    visits = list(visits)
    _refresh_statuses(visits, today)
    with translation.override(STORED_LANGUAGE):
        new_rows = [
            Reminder(
                kind=kind,
                participant_id=visit.participant_id,
                visit=visit,
                due_date=visit.window_start if kind in OPENING_KINDS else visit.window_end,
                message=_visit_message(
                    kind, _visit_who(visit.participant, visit), visit, (visit.window_start - today).days
                ),
            )
            for visit in visits
            for kind in visit_reminder_kinds(
                today=today, window_start=visit.window_start, window_end=visit.window_end, lead_days=lead_days
            )
        ]
    return len(_insert(new_rows))


@transaction.atomic
def sae_clock_sweep(now: datetime, participant_id: int | None = None) -> int:
    """Create SAE-due / SAE-overdue reminders for unreported SAEs at `now`; returns how many.
    `participant_id`: only that participant's SAEs (the immediate sweep after a save)."""
    study = Study.current()
    hours, zone = study.sae_report_hours, site_zone(study)
    cutoff = now - timedelta(hours=hours)  # awareness before this: the report is overdue

    def has(kind):
        return Exists(Reminder.objects.filter(adverse_event=OuterRef("pk"), kind=kind))

    saes = (
        AdverseEvent.objects.filter(
            serious=True, reported_to_sponsor_at__isnull=True, awareness_time__isnull=False, awareness_time__lte=now
        )
        .filter(
            (Q(awareness_time__gte=cutoff) & ~has(Kind.SAE_DUE))
            | (Q(awareness_time__lt=cutoff) & ~has(Kind.SAE_OVERDUE))
        )
        .select_related("participant")
        .order_by("pk")
    )
    if participant_id is not None:
        saes = saes.filter(participant_id=participant_id)
    new_rows = []
    with translation.override(STORED_LANGUAGE):
        for ae in saes:
            state = rules.sae_clock_state(ae.awareness_time, None, now, hours)
            kind = Kind.SAE_DUE if state == rules.DUE else Kind.SAE_OVERDUE
            due_at = rules.sae_due_at(ae.awareness_time, hours)
            new_rows.append(
                Reminder(
                    kind=kind,
                    participant_id=ae.participant_id,
                    adverse_event=ae,
                    due_date=timezone.localdate(due_at, zone),
                    message=_sae_message(kind, _ae_who(ae.participant, ae), due_at, zone),
                )
            )
    return len(_insert(new_rows))


def _refresh_statuses(visits: list[Visit], today: date) -> None:
    """Store schedule.visit_state in the cached Visit.status (derived data, so not audited): one
    UPDATE per resulting state, locked visits excluded (subjects.visits.visit_refresh_statuses)."""
    visit_refresh_statuses(visits, today)


def _insert(rows: list[Reminder]) -> list[int]:
    """Insert, skipping rows the unique constraints already hold; the ids of the rows created."""
    if not rows:
        return []
    run = uuid.uuid4()
    for row in rows:
        row.sweep_run = run
    # One insert order for every worker, so concurrent sweeps wait on each other instead of deadlocking.
    rows.sort(key=lambda r: (r.visit_id or 0, r.adverse_event_id or 0, r.kind))
    Reminder.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    created = list(Reminder.objects.filter(sweep_run=run).order_by("pk").values_list("pk", flat=True))
    if len(created) > EMAIL_FANOUT_LIMIT:
        enqueue_on_commit("safety.tasks.deliver_pending")
    else:
        for reminder_id in created:
            enqueue_on_commit("safety.tasks.send_reminder_email", reminder_id)
    return created


# --- In-app list and acknowledgement -------------------------------------------------------------


def reminders_for(user, *, acknowledged: bool | None = None, kind: str | None = None) -> QuerySet[Reminder]:
    """The site's reminders as `user` sees them, annotated with `acknowledged` (by this user)."""
    qs = (
        Reminder.objects.select_related("participant", "visit", "adverse_event")
        .annotate(acknowledged=Exists(ReminderAcknowledgement.objects.filter(reminder=OuterRef("pk"), user=user)))
        .order_by("-due_date", "-pk")
    )
    if acknowledged is not None:
        qs = qs.filter(acknowledged=acknowledged)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def reminder_acknowledge(*, reminder: Reminder, user) -> bool:
    """Record that `user` has seen `reminder`; True when newly acknowledged (repeats are harmless)."""
    _ack, created = ReminderAcknowledgement.objects.get_or_create(reminder=reminder, user=user)
    return created


# --- E-mail ------------------------------------------------------------------------------------


def coordinator_emails(study: Study) -> dict[str, list[str]]:
    """E-mail addresses of the site's active coordinators, grouped by the language of their e-mails."""
    users = get_user_model().objects.filter(is_active=True, groups__name=Role.COORDINATOR.value)
    return emails_by_language(users, study.default_language)


def _claimable(now: datetime) -> Q:
    return Q(email_sent_at__isnull=True) & (
        Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=now - EMAIL_CLAIM_TIMEOUT)
    )


def pending_reminder_ids(limit: int = 500) -> list[int]:
    """Reminders whose e-mail is not sent and not being sent (fewest attempts first)."""
    pending = Reminder.objects.filter(_claimable(timezone.now())).order_by("email_attempts", "pk")
    return list(pending.values_list("pk", flat=True)[:limit])


def deliver_reminder_email(reminder_id: int) -> bool:
    """Send the e-mail of one reminder to the coordinators, exactly once.

    Returns False when there is nothing to do (already sent, or another worker holds the claim).
    Raises when sending fails: the claim is released and the error recorded, so a retry or the
    next `deliver_pending` sends it. Must run outside a transaction (the claim commits first).
    """
    now = timezone.now()
    claimed = Reminder.objects.filter(_claimable(now), pk=reminder_id).update(
        email_claimed_at=now, email_attempts=F("email_attempts") + 1
    )
    if not claimed:
        return False
    reminder = Reminder.objects.select_related("participant", "visit", "adverse_event").get(pk=reminder_id)
    try:
        study = Study.current()
        recipients = coordinator_emails(study)
        if not recipients:
            raise RuntimeError("no active coordinator with an e-mail address")

        def render():
            values = {"message": reminder_text(reminder, study), "due": f"{reminder.due_date:%Y-%m-%d}"}
            subject = f"[{study.study_id}] {reminder.get_kind_display()}: {reminder.participant.display_id}"
            return subject, _("%(message)s\n\nDue: %(due)s\n\nSee the Trialsite reminders list.") % values

        send_in_languages(recipients, render)
    except Exception as exc:
        Reminder.objects.filter(pk=reminder_id, email_claimed_at=now).update(
            email_claimed_at=None, email_last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    Reminder.objects.filter(pk=reminder_id).update(email_sent_at=timezone.now(), email_last_error="")
    return True


def remind_after_write(obj, *, created: bool, changed: list[str]) -> None:
    """settings.AUDITED_AFTER_WRITE: a saved visit or SAE sweeps that participant's reminders as soon as
    the write commits, so a reminder shows at once rather than at the next periodic sweep (which stays
    as the safety net; both are idempotent)."""
    if isinstance(obj, Visit) or (isinstance(obj, AdverseEvent) and obj.serious):
        enqueue_on_commit("safety.tasks.participant_reminders", obj.participant_id)
