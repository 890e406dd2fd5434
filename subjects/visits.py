"""Visits: the schedule of each participant, its actual dates and states (PROTOCOL §3).

The write doors for visits (re-exported by subjects.services): targets and windows always come
from schedule.plan_visits anchored on Day 1 (actual, else planned), never chained on other visits.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import dateformat
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from subjects import schedule
from subjects.models import Participant, ParticipantStatus, Screening, Study, Visit
from subjects.sitetime import site_today
from trialsite import figures
from trialsite.audit import audited_save, check_version, reason_error

# Participants counted against the enrollment target: everyone who ever received a subject ID.
ENROLLED_STATUSES = (ParticipantStatus.ENROLLED, ParticipantStatus.COMPLETED, ParticipantStatus.WITHDRAWN)


def error(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def or_default(reason: str | None, default: str) -> str:
    return (reason or "").strip() or default


def visit_rules(study: Study) -> list[schedule.VisitRule]:
    return [definition.as_rule() for definition in study.visit_definitions.all()]


def replan_visits(
    participant: Participant,
    *,
    screening: Screening,
    study: Study,
    user,
    reason: str | None,
    create_codes: set[str] | None,
) -> None:
    """Targets and windows of every visit from plan_visits (anchored on Day 1, never chained).

    Creates missing visits whose code is in `create_codes` (None = all); existing ones are moved.
    """
    planned = schedule.plan_visits(
        visit_rules(study),
        screening_date=screening.screening_date,
        planned_day1=screening.planned_day1_date,
        day1=participant.day1_date,
        screening_window_days=study.screening_window_days,
    )
    existing = {visit.visit_code: visit for visit in participant.visits.all()}
    today = site_today(study)
    for plan in planned:
        visit = existing.get(plan.code)
        if visit is None:
            if create_codes is not None and plan.code not in create_codes:
                continue
            visit = Visit(participant=participant, visit_code=plan.code, visitnum=plan.visitnum)
        values = {
            "visitnum": plan.visitnum,
            "target_date": plan.target_date,
            "window_start": plan.window_start,
            "window_end": plan.window_end,
        }
        if plan.code == "SCR":
            values["actual_date"] = screening.screening_date
        if plan.code == "W0" and participant.day1_date is not None:
            values["actual_date"] = participant.day1_date
        changed = any(getattr(visit, name) != value for name, value in values.items())
        for name, value in values.items():
            setattr(visit, name, value)
        state = visit.state_on(today)
        if visit._state.adding:
            visit.status = state
            audited_save(visit, user=user)
        elif changed or visit.status != state:
            visit.status = state
            audited_save(visit, user=user, reason=or_default(reason, "Schedule recalculated"))


@transaction.atomic
def visit_record(
    *,
    visit,
    user,
    actual_date=None,
    not_done_reason="",
    deviation_reason="",
    reason=None,
    expected_version: int | None = None,
) -> Visit:
    """Record a visit's actual date (or that it was not done); recording W0 re-anchors the schedule."""
    study = Study.current()
    # The participant first, as every door does: writers of one participant's records queue there.
    participant = Participant.objects.select_for_update().get(pk=visit.participant_id)
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    visit.participant = participant
    check_version(visit, expected_version)
    not_done_reason = (not_done_reason or "").strip()
    deviation_reason = (deviation_reason or "").strip()
    today = site_today(study)
    if visit.visit_code == "SCR":
        raise error(
            "actual_date", _("The screening visit date is the screening date; change it on the screening form.")
        )
    if participant.status not in ENROLLED_STATUSES:
        raise error("status", _("Visits are recorded for enrolled participants only."))
    errors: dict[str, list[str]] = {}
    if actual_date is not None and not_done_reason:
        errors["not_done_reason"] = [_("A visit with an actual date cannot also be not done.")]
    elif actual_date is None and not not_done_reason:
        errors["actual_date"] = [_("Enter the actual date, or mark the visit not done with a reason.")]
    elif actual_date is not None:
        screening = Screening.objects.get(participant=participant)
        if actual_date > today:
            errors["actual_date"] = [_("Actual date cannot be in the future.")]
        elif actual_date <= screening.screening_date:
            errors["actual_date"] = [_("Actual date must be after the screening date.")]
        elif participant.withdrawal_date and actual_date > participant.withdrawal_date:
            errors["actual_date"] = [_("Actual date cannot be after the withdrawal date.")]
        elif (
            visit.visit_code != "W0"
            and not schedule.is_in_window(actual_date, visit.window_start, visit.window_end)
            and not deviation_reason
        ):
            errors["deviation_reason"] = [_outside_window(visit)]
    if errors:
        raise ValidationError(errors)
    had_data = bool(visit.actual_date or visit.not_done_reason or visit.deviation_reason)
    if had_data and not (reason or "").strip():
        raise reason_error()
    if visit.visit_code == "W0" and actual_date is not None:
        if not schedule.is_in_window(actual_date, visit.window_start, visit.window_end) and not deviation_reason:
            raise error("deviation_reason", _outside_window(visit))
        visit.deviation_reason = deviation_reason
        visit.not_done_reason = ""
        audited_save(visit, user=user, reason=or_default(reason, "Visit recorded"))
        visits_reanchor(participant=participant, day1=actual_date, user=user, reason=reason or "W0 visit recorded")
        return Visit.objects.get(pk=visit.pk)
    visit.actual_date = actual_date
    visit.not_done_reason = not_done_reason
    visit.deviation_reason = deviation_reason if actual_date is not None else ""
    visit.status = visit.state_on(today)
    audited_save(visit, user=user, reason=or_default(reason, "Visit recorded"))
    if visit.visit_code == _last_visit_code(study) and actual_date is not None:
        if participant.status == ParticipantStatus.ENROLLED:
            participant.status = ParticipantStatus.COMPLETED
            audited_save(participant, user=user, reason=f"Completed: {visit.visit_code} visit done")
            figures.study_data_changed()
    return visit


def _outside_window(visit: Visit) -> str:
    return _("The date is outside the window %(start)s – %(end)s; give a deviation reason.") % {
        "start": dateformat.format(visit.window_start, pgettext("day and month (Django date format)", "d M")),
        "end": format_date(visit.window_end),
    }


def _last_visit_code(study: Study) -> str:
    return study.visit_definitions.order_by("-visitnum").values_list("code", flat=True).first()


@transaction.atomic
def visits_reanchor(*, participant, day1, user, reason) -> None:
    """Day 1 happened on `day1` (the W0 infusion): re-project every visit from it."""
    study = Study.current()
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if day1 is None:
        raise error("day1_date", _("Day 1 is required."))
    if day1 > site_today(study):
        raise error("day1_date", _("Day 1 cannot be in the future."))
    screening = Screening.objects.filter(participant=participant).first()
    if screening is None:
        raise error("screening", _("The participant has no screening record."))
    if day1 <= screening.screening_date:
        raise error("day1_date", _("Day 1 must be after the screening date."))
    reason = (reason or "").strip() or "Re-anchored on the actual Day 1"
    if participant.day1_date != day1:
        participant.day1_date = day1
        audited_save(participant, user=user, reason=reason)
        figures.study_data_changed()  # Day 1 decides which adverse events are treatment-emergent
    replan_visits(participant, screening=screening, study=study, user=user, reason=reason, create_codes=set())


def visit_refresh_statuses(visits: Iterable[Visit], today: date) -> int:
    """Recompute the cached Visit.status for `today`; the number of visits whose status changed.

    The state comes from schedule.visit_state (via Visit.state_on) in Python, then one
    `UPDATE ... WHERE id IN (...)` per resulting state: at most one query per state however many
    visits changed (a CASE-per-row bulk_update took about a minute for 6 000 visits). The status
    is a cache of schedule.visit_state, not clinical data, so it is not audited. Still, a locked
    visit (its record, the visit, the casebook or the database locked) is frozen: the UPDATE
    excludes it and it is not counted (its object passed in keeps the computed state in memory).
    """
    changed: dict[str, list[int]] = defaultdict(list)
    for visit in visits:
        state = visit.state_on(today)
        if visit.status != state:
            visit.status = state
            changed[state].append(visit.pk)
    frozen = locked_visits()
    return sum(
        Visit.objects.filter(pk__in=ids).exclude(frozen).update(status=state) for state, ids in sorted(changed.items())
    )


def locked_visits() -> Q:
    """The visits frozen by an active data-management lock, as a filter (Exists subqueries, no query).

    The Lock model is reached through its reverse relation `Visit.locks` by name, so this layer does
    not import datamanagement; without that app nothing is locked. Scopes: "record" (the visit as a
    record), "visit", "participant" (the casebook), "database".
    """
    try:
        lock_model = Visit._meta.get_field("locks").related_model
    except FieldDoesNotExist:
        return Q(pk__in=[])
    active = lock_model.objects.filter(active=True)
    return (
        Q(Exists(active.filter(scope="database")))
        | Q(Exists(active.filter(scope="participant", participant_id=OuterRef("participant_id"))))
        | Q(Exists(active.filter(scope="visit", visit_id=OuterRef("pk"))))
        | Q(Exists(active.filter(scope="record", record_type="visit", record_id=OuterRef("pk"))))
    )


def format_date(on: date) -> str:
    """A date inside a sentence: '08 Jan 2024' in English, the locale's own form in other languages
    (the format is in the catalogue, e.g. 2024年1月8日)."""
    return dateformat.format(on, pgettext("date inside a sentence (Django date format)", "d M Y"))


def format_window(start: date, end: date) -> str:
    """'21–27 Jan' within a month, else '29 Jan – 2 Feb' (the locale's forms in other languages)."""
    day_month = pgettext("day and month of a window (Django date format)", "j M")
    if start == end:
        return dateformat.format(start, day_month)
    if (start.year, start.month) == (end.year, end.month):
        first = pgettext("first day of a window within one month (Django date format)", "j")
        return _("%(start)s–%(end)s") % {
            "start": dateformat.format(start, first),
            "end": dateformat.format(end, day_month),
        }
    return _("%(start)s – %(end)s") % {
        "start": dateformat.format(start, day_month),
        "end": dateformat.format(end, day_month),
    }
