"""Adverse-event rules (PROTOCOL §6, CRF "Adverse event"): pure functions, no request.

`consistency_errors` returns {field: [messages]} so forms, the API and services show the same
message next to the same field. The SAE clock and the safety-signal rules live here too; the
safety-hold rule also as a query condition, for counting and listing signals in the database.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from django.db.models import F, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

SERIOUS_CRITERIA_FIELDS = (
    "death",
    "life_threatening",
    "hospitalization",
    "disability",
    "congenital_anomaly",
    "important_medical_event",
)
RELATED = frozenset({"possible", "probable", "definite"})  # relationships counted as related to UCMSCs
NOT_RELATED = "not_related"
FATAL_GRADE = 5

# SAE clock states
DUE = "due"
OVERDUE = "overdue"
REPORTED_ON_TIME = "reported_on_time"
REPORTED_LATE = "reported_late"
CLOCK_LABELS = {
    DUE: gettext_lazy("Due"),
    OVERDUE: gettext_lazy("Overdue"),
    REPORTED_ON_TIME: gettext_lazy("Reported on time"),
    REPORTED_LATE: gettext_lazy("Reported late"),
}


@dataclass(frozen=True)
class AdverseEventFacts:
    """What the consistency rules look at; built from a form, a serializer or a model."""

    onset_date: date | None
    end_date: date | None = None
    ongoing: bool = False
    grade: int | None = None
    serious: bool = False
    criteria: Mapping[str, bool] | None = None
    outcome: str | None = None
    awareness_time: datetime | None = None
    reported_to_sponsor_at: datetime | None = None
    infusion_reaction: bool = False
    has_infusion: bool = False
    infusion_of_participant: bool = True
    consent_date: date | None = None
    relationship: str | None = None
    day1_date: date | None = None
    site_zone: tzinfo | None = None  # the zone of the site's calendar dates (onset), for the awareness date


def consistency_errors(facts: AdverseEventFacts, *, today: date, now: datetime) -> dict[str, list[str]]:
    """Every violated consistency rule as {field: [message]}; empty when the AE is consistent."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    criteria = {key: bool((facts.criteria or {}).get(key)) for key in SERIOUS_CRITERIA_FIELDS}

    # Dates
    if facts.onset_date is not None:
        if facts.onset_date > today:
            add("onset_date", _("The onset date cannot be in the future."))
        if facts.consent_date is not None and facts.onset_date < facts.consent_date:
            add(
                "onset_date",
                _("The onset date cannot be before informed consent (%(date)s).")
                % {"date": facts.consent_date.isoformat()},
            )
    if facts.end_date is not None:
        if facts.end_date > today:
            add("end_date", _("The end date cannot be in the future."))
        if facts.onset_date is not None and facts.end_date < facts.onset_date:
            add("end_date", _("The end date cannot be before the onset date."))
    if facts.ongoing and facts.end_date is not None:
        add("end_date", _("An ongoing AE has no end date: clear the end date or untick ongoing."))
    if not facts.ongoing and facts.end_date is None:
        add("ongoing", _("Give an end date, or tick ongoing when the AE has not ended."))
    if facts.outcome == "recovered" and facts.end_date is None:
        add("end_date", _("An AE with outcome recovered/resolved needs an end date."))

    # Grade 5 <=> outcome fatal <=> serious with death
    fatal_grade = facts.grade == FATAL_GRADE
    fatal_outcome = facts.outcome == "fatal"
    serious_death = facts.serious and criteria["death"]
    if facts.grade is not None and facts.outcome is not None:
        if fatal_grade and not fatal_outcome:
            add("outcome", _("Grade 5 (death) requires outcome fatal."))
        if fatal_outcome and not fatal_grade:
            add("grade", _("Outcome fatal requires grade 5."))
    if (fatal_grade or fatal_outcome) and not serious_death:
        add("death", _("A fatal AE (grade 5 / outcome fatal) must be serious with the criterion death."))
    if serious_death and not (fatal_grade and fatal_outcome):
        add("death", _("The serious criterion death requires grade 5 and outcome fatal."))

    # Seriousness
    if facts.serious:
        if not any(criteria.values()):
            add("serious", _("A serious AE needs at least one serious criterion."))
        if facts.awareness_time is None:
            add(
                "awareness_time",
                _("A serious AE needs the investigator's awareness time (it starts the 24 h clock)."),
            )
    else:
        ticked = [key for key, value in criteria.items() if value]
        if ticked:
            add(
                "serious",
                _("Serious criteria (%(criteria)s) are only allowed when the AE is serious.")
                % {"criteria": ", ".join(ticked)},
            )
    if facts.awareness_time is not None and facts.awareness_time > now:
        add("awareness_time", _("The awareness time cannot be in the future."))
    elif facts.awareness_time is not None and facts.onset_date is not None:
        if _site_date(facts.awareness_time, facts.site_zone) < facts.onset_date:
            add(
                "awareness_time",
                _("The awareness time cannot be before the onset date (%(date)s).")
                % {"date": facts.onset_date.isoformat()},
            )
    if facts.reported_to_sponsor_at is not None:
        if facts.reported_to_sponsor_at > now:
            add("reported_to_sponsor_at", _("The report time cannot be in the future."))
        if facts.awareness_time is None:
            add("reported_to_sponsor_at", _("A report to the sponsor needs an awareness time."))
        elif facts.reported_to_sponsor_at < facts.awareness_time:
            add("reported_to_sponsor_at", _("The report to the sponsor cannot be before the awareness time."))

    # Nothing before the first infusion can be caused by it
    if facts.relationship not in (None, NOT_RELATED) and not is_treatment_emergent(facts.onset_date, facts.day1_date):
        if facts.day1_date is None:
            add(
                "relationship",
                _("No infusion has been given yet: an AE before the first infusion is “not related”."),
            )
        else:
            add(
                "relationship",
                _(
                    "The AE started before the first infusion (Day 1 is %(day1)s): "
                    "an AE before the first infusion is “not related”."
                )
                % {"day1": facts.day1_date.isoformat()},
            )

    # Infusion reaction <=> linked infusion of this participant
    if facts.infusion_reaction and not facts.has_infusion:
        add("infusion", _("An infusion reaction must be linked to its infusion."))
    if facts.has_infusion and not facts.infusion_reaction:
        add("infusion_reaction", _("Only an infusion reaction is linked to an infusion: tick infusion reaction."))
    if facts.has_infusion and not facts.infusion_of_participant:
        add("infusion", _("The infusion belongs to another participant."))
    return errors


def _site_date(moment: datetime, zone: tzinfo | None) -> date:
    try:
        return moment.astimezone(zone).date() if zone is not None else moment.date()
    except OverflowError:  # a moment at the very edge of the calendar (year 1 or 9999)
        return moment.date()


def sae_clock_start(*, serious: bool, awareness_time: datetime | None) -> datetime | None:
    """When the SAE reporting clock starts: the investigator's awareness of a serious AE. A non-serious
    AE has no clock, whatever awareness time was entered."""
    return awareness_time if serious else None


def is_treatment_emergent(onset_date: date | None, day1_date: date | None) -> bool:
    """An AE starting on or after Day 1 (the first infusion) is treatment-emergent."""
    return onset_date is not None and day1_date is not None and onset_date >= day1_date


def is_related(relationship: str | None) -> bool:
    """Possible, probable and definite count as related to UCMSCs."""
    return relationship in RELATED


def triggers_safety_hold(
    *, grade: int, serious: bool, relationship: str, hold_min_grade: int, treatment_emergent: bool
) -> bool:
    """A treatment-emergent related AE of grade >= hold_min_grade, or related SAE, puts the participant
    on hold: holds and the DMC alert concern dosed participants only."""
    return treatment_emergent and is_related(relationship) and (serious or grade >= hold_min_grade)


def treatment_emergent_condition() -> Q:
    """is_treatment_emergent as a condition on adverse events, for counting and filtering (never
    stored, so it follows Day 1 when Day 1 moves)."""
    return Q(participant__day1_date__isnull=False, onset_date__gte=F("participant__day1_date"))


def safety_hold_condition(hold_min_grade: int) -> Q:
    """triggers_safety_hold as a condition on adverse events: the safety signals (PROTOCOL §6)."""
    return (
        Q(relationship__in=RELATED) & (Q(serious=True) | Q(grade__gte=hold_min_grade)) & treatment_emergent_condition()
    )


def dmc_alert_reached(participants_with_signal: int, threshold: int) -> bool:
    return participants_with_signal >= threshold


def sae_due_at(awareness_time: datetime | None, hours: int = 24) -> datetime | None:
    return None if awareness_time is None else awareness_time + timedelta(hours=hours)


def sae_clock_state(
    awareness_time: datetime | None, reported_at: datetime | None, now: datetime, hours: int = 24
) -> str | None:
    """due / overdue / reported_on_time / reported_late, or None without an awareness time.

    Reporting (or looking) exactly `hours` after awareness is still on time.
    """
    due_at = sae_due_at(awareness_time, hours)
    if due_at is None:
        return None
    if reported_at is not None:
        return REPORTED_ON_TIME if reported_at <= due_at else REPORTED_LATE
    return DUE if now <= due_at else OVERDUE


@dataclass(frozen=True)
class SaeClock:
    state: str | None
    due_at: datetime | None

    @property
    def label(self) -> str:
        return CLOCK_LABELS.get(self.state, "")

    @property
    def badge(self) -> str:
        return {DUE: "warn", OVERDUE: "bad", REPORTED_ON_TIME: "ok", REPORTED_LATE: "bad"}.get(self.state, "")


def sae_clock(
    awareness_time: datetime | None, reported_at: datetime | None, now: datetime, hours: int = 24
) -> SaeClock:
    return SaeClock(
        state=sae_clock_state(awareness_time, reported_at, now, hours), due_at=sae_due_at(awareness_time, hours)
    )
