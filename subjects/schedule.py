"""Visit schedule, windows, study day and visit state (PROTOCOL §3).

Pure functions, no Django. The database holds the configured visit rules;
``PROTOCOL_VISITS`` is only the default they are seeded from.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

SCHEDULED = "scheduled"
OPEN = "open"
DONE = "done"
DONE_OUT_OF_WINDOW = "done_out_of_window"
MISSED = "missed"
NOT_DONE = "not_done"
VISIT_STATES = (SCHEDULED, OPEN, DONE, DONE_OUT_OF_WINDOW, MISSED, NOT_DONE)

DEFAULT_SCREENING_WINDOW_DAYS = 28


@dataclass(frozen=True)
class VisitRule:
    """One visit of the schedule.

    ``week`` None marks the screening visit and week 0 the Day 1 visit; their
    windows come from ``screening_window_days`` in ``plan_visits``, so their
    own window fields are unused (0). Later visits: target ± window days.
    """

    code: str
    visitnum: int
    week: int | None
    window_before_days: int
    window_after_days: int
    dosing: bool

    def __post_init__(self) -> None:
        if not self.code:
            raise ValueError("code must not be empty")
        if self.visitnum < 0:
            raise ValueError(f"visitnum must not be negative, got {self.visitnum}")
        if self.week is not None and self.week < 0:
            raise ValueError(f"week must not be negative, got {self.week}")
        for name in ("window_before_days", "window_after_days"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")


PROTOCOL_VISITS: tuple[VisitRule, ...] = (
    VisitRule("SCR", 0, None, 0, 0, False),
    VisitRule("W0", 1, 0, 0, 0, True),
    VisitRule("W2", 2, 2, 3, 3, True),
    VisitRule("W4", 3, 4, 3, 3, True),
    VisitRule("W6", 4, 6, 3, 3, True),
    VisitRule("W8", 5, 8, 3, 3, True),
    VisitRule("W12", 6, 12, 3, 3, False),
)


@dataclass(frozen=True)
class PlannedVisit:
    """Derived target date and inclusive window of one visit."""

    code: str
    visitnum: int
    target_date: date | None
    window_start: date
    window_end: date


def _plan_one(
    rule: VisitRule,
    *,
    screening_date: date,
    planned_day1: date,
    anchor: date,
    screening_window_days: int,
) -> PlannedVisit:
    window = timedelta(days=screening_window_days)
    if rule.week is None:
        start, end = planned_day1 - window, planned_day1 - timedelta(days=1)
        target = screening_date
    elif rule.week == 0:
        # Day 1 has no window of its own: any day 1..N days after screening.
        start, end = screening_date + timedelta(days=1), screening_date + window
        target = anchor
    else:
        target = anchor + timedelta(weeks=rule.week)
        start = target - timedelta(days=rule.window_before_days)
        end = target + timedelta(days=rule.window_after_days)
    return PlannedVisit(rule.code, rule.visitnum, target, start, end)


def plan_visits(
    rules: Iterable[VisitRule],
    *,
    screening_date: date,
    planned_day1: date,
    day1: date | None,
    screening_window_days: int,
) -> list[PlannedVisit]:
    """Target dates and inclusive windows for every rule, ordered by visitnum.

    Screening (week None): target = screening_date, window
    planned_day1 - screening_window_days .. planned_day1 - 1.
    Day 1 (week 0): target = day1 or planned_day1, window
    screening_date + 1 .. screening_date + screening_window_days.
    Later visits: target = anchor + 7 x week, window target - before ..
    target + after, where anchor = day1 when known, else planned_day1 —
    never another visit's actual date.
    """
    if screening_window_days < 1:
        raise ValueError(f"screening_window_days must be at least 1, got {screening_window_days}")
    anchor = day1 if day1 is not None else planned_day1
    planned = [
        _plan_one(
            rule,
            screening_date=screening_date,
            planned_day1=planned_day1,
            anchor=anchor,
            screening_window_days=screening_window_days,
        )
        for rule in rules
    ]
    return sorted(planned, key=lambda visit: visit.visitnum)


def study_day(on: date, day1: date | None) -> int | None:
    """SDTM study day, no day 0: on - day1 + 1 from Day 1 on, else on - day1.

    None when Day 1 is not known yet.
    """
    if day1 is None:
        return None
    offset = (on - day1).days
    return offset + 1 if offset >= 0 else offset


SCREENING_EPOCH = "SCREENING"
TREATMENT_EPOCH = "TREATMENT"
FOLLOW_UP_EPOCH = "FOLLOW-UP"
EPOCHS = (SCREENING_EPOCH, TREATMENT_EPOCH, FOLLOW_UP_EPOCH)


def treatment_end(
    *, last_dosing_visit_infusion: date | None, last_infusion: date | None, dosing_over: bool
) -> date | None:
    """The last day of the TREATMENT epoch (PROTOCOL §11), None while it is still open.

    The day of the infusion at the last dosing visit (W8) when it was given; once no infusion can
    follow (`dosing_over`: the participant withdrew or completed the study), the day of the last
    infusion given; otherwise (still on treatment, or never dosed) None.
    """
    if last_dosing_visit_infusion is not None:
        return last_dosing_visit_infusion
    return last_infusion if dosing_over else None


def epoch(on: date | None, *, day1: date | None, treatment_end: date | None, consent: date | None = None) -> str | None:
    """The SDTM EPOCH of an observation dated `on` (PROTOCOL §11): SCREENING from `consent` to the day
    before Day 1 and for people never dosed, TREATMENT from Day 1 to `treatment_end` inclusive
    (open-ended while it is None), FOLLOW-UP after it. None when the observation has no date, and
    before consent: the epochs are the study's, a medication started before it is in none (SDTMIG)."""
    if on is None or (consent is not None and on < consent):
        return None
    if day1 is None or on < day1:
        return SCREENING_EPOCH
    if treatment_end is None or on <= treatment_end:
        return TREATMENT_EPOCH
    return FOLLOW_UP_EPOCH


def is_in_window(on: date, window_start: date, window_end: date) -> bool:
    """True when ``window_start <= on <= window_end`` (both ends inclusive)."""
    return window_start <= on <= window_end


def visit_state(
    *,
    today: date,
    window_start: date,
    window_end: date,
    actual_date: date | None,
    not_done: bool,
) -> str:
    """State of a visit (one of ``VISIT_STATES``).

    not_done when recorded as not done; done / done_out_of_window when an
    actual date exists (inside / outside the window); otherwise scheduled
    before the window opens, open inside it and missed after it closes.
    Raises ValueError for an inverted window or a visit both done and not done.
    """
    if window_start > window_end:
        raise ValueError(f"window_start {window_start} is after window_end {window_end}")
    if not_done:
        if actual_date is not None:
            raise ValueError("a visit recorded as not done cannot have an actual date")
        return NOT_DONE
    if actual_date is not None:
        return DONE if is_in_window(actual_date, window_start, window_end) else DONE_OUT_OF_WINDOW
    if today < window_start:
        return SCHEDULED
    if today <= window_end:
        return OPEN
    return MISSED
