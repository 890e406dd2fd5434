"""The DMC dashboard and its listings: pseudonymised (subject IDs only), aggregated in SQL.

Every query here is a fixed number of aggregate or values() queries, independent of the
number of participants; Python only reshapes rows already fetched. Each figure on the
dashboard links to a listing (`safety:listing`) with the rows behind it.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Aggregate,
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.timezone import template_localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from assessments import pasi as pasi_rules
from assessments.models import PasiAssessment
from dosing.models import Infusion
from labs.catalogue import LAB_TESTS
from labs.models import UNSCHEDULED, LabResult
from labs.services import SCHEDULED_VISITS
from safety import rules
from safety.cutoff import Cutoff, check_first_consent, dated, dosed, on_hold, statuses, timed
from safety.models import AdverseEvent, Outcome, Relationship, SafetyHold
from safety.services import (
    HOLD_REASON_KEYS,
    DmcAlert,
    hold_reason_lazy,
    hold_reason_of,
    safety_population_condition,
    signal_events,
    treatment_emergent_annotation,
)
from subjects.models import Participant, ParticipantStatus, Study
from trialsite import figures as figures_cache

FIGURES_TTL_SECONDS = 60  # explicit invalidation keeps them current; this bounds writes around the services
PASI_LINES_CAP = 50  # lines drawn in the per-participant chart; the mean uses everyone
TABLE_CAP = 100  # rows shown inline on the dashboard; the listing has them all
GRADES = (1, 2, 3, 4, 5)


NOT_ENROLLED = _("(not enrolled)")
# Files (the listings' CSV) are the same in every language: written in English.
EXPORT_LANGUAGE = "en-gb"


def _grade_label(grade: int) -> str:
    return gettext("Grade %(grade)s") % {"grade": grade}


# Lazy: the figures are cached and shared by readers of every language, so labels are translated
# when a page shows them (a module-level function, so a cached lazy label can be pickled).
grade_label = lazy(_grade_label, str)


def subject_label(subject_id: str | None, usubjid: str | None) -> str:
    """The displayed subject ID, by the Participant model's own rule. Pseudonymised: people never
    enrolled have none and are shown without an identifier (never by screening number)."""
    return Participant.label_of(subject_id, usubjid) or NOT_ENROLLED


def _label_of(row: dict, prefix: str = "participant__") -> str:
    return subject_label(row[f"{prefix}subject_id"], row[f"{prefix}usubjid"])


LABEL_KEYS = ("subject_id", "usubjid")
PARTICIPANT_KEYS = tuple(f"participant__{key}" for key in LABEL_KEYS)


def _local(moment, zone=None):
    """Date and time to the minute in the current time zone (`zone`: that zone, looked up once by a caller
    formatting many values)."""
    if not moment:
        return ""
    return moment.astimezone(zone or timezone.get_current_timezone()).strftime("%Y-%m-%d %H:%M")


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# --- the dashboard ---------------------------------------------------------------------------


def participant_figures(study: Study, cutoff: Cutoff | None = None) -> tuple[dict, dict]:
    """Enrollment counts in one aggregate over participants; exposure (distribution, totals) in one
    aggregate over infusions grouped by participant (through their covering index); the
    per-participant table in a third, limited query.

    Infusions are recorded at dosing visits only, which exist for enrolled participants only
    (subjects.services.participant_enroll schedules them): every participant with an infusion is
    enrolled, and the enrolled without one are the difference. With a cut-off, each status is the
    one at the cut-off (safety.cutoff.statuses) and only the infusions started by then count.
    BeforeFirstConsent, after the first query, when the cut-off is before the study's first consent.
    """
    status = statuses(cutoff)
    is_enrolled = status["enrolled_ever"]
    consented = dated(cutoff, "consent_date")
    # Over every participant, so that the study's first consent comes too: a cut-off before it is refused
    # (safety.views.dashboard) without a query of its own.
    enrollment = Participant.objects.aggregate(
        screened=Count("id", filter=consented),
        screen_failed=Count("id", filter=consented & status[ParticipantStatus.SCREEN_FAILED]),
        enrolled=Count("id", filter=consented & is_enrolled),
        on_treatment=Count("id", filter=consented & status[ParticipantStatus.ENROLLED]),
        completed=Count("id", filter=consented & status[ParticipantStatus.COMPLETED]),
        withdrawn=Count("id", filter=consented & status[ParticipantStatus.WITHDRAWN]),
        on_hold=Count("id", filter=consented & on_hold(cutoff)),
        first_consent=Min("consent_date"),
    )
    first_consent = enrollment.pop("first_consent")
    if cutoff is not None:
        check_first_consent(cutoff.day, first_consent)  # before it there is nothing to cut off
    per_participant = (  # COUNT(*): the covering index (participant, cells) answers it without the table
        Infusion.objects.filter(timed(cutoff, "start_time"))
        .values("participant")
        .annotate(given=Count("*"), cells=Sum("administered_cells"))
        .order_by()
    )
    aggregates = {
        "total_infusions": Sum("given", default=0),
        "total_cells": Sum("cells", default=0),
        "dosed": Count("participant"),
    }
    for n in range(1, study.max_infusions + 1):
        aggregates[f"given_{n}"] = Count("participant", filter=Q(given=n))
    result = per_participant.aggregate(**aggregates)
    result["given_0"] = enrollment["enrolled"] - result["dosed"]
    table = (
        Participant.objects.filter(is_enrolled)
        .annotate(infusions_given=_infusions_given(cutoff), cells=_cells_given(cutoff))
        .order_by("screening_seq")
        .values_list("subject_id", "usubjid", "infusions_given", "cells")[:TABLE_CAP]
    )
    exposure = {
        "distribution": [
            {"infusions": n, "participants": result[f"given_{n}"]} for n in range(study.max_infusions + 1)
        ],
        "totals": {
            "infusions": result["total_infusions"],
            "cells": result["total_cells"],
            "participants": result["dosed"],
        },
        "per_participant": [
            {"subject": subject_label(sid, usubjid), "infusions_given": n, "cells": cells or 0}
            for sid, usubjid, n, cells in table
        ],
    }
    return enrollment, exposure


def safety_population_events(cutoff: Cutoff | None = None):
    """The AEs the dashboard's AE tables count: those of the safety population (participants with at
    least one infusion), whose size is the tables' denominator. AEs of people never dosed (screening)
    count in neither. With a cut-off: AEs with onset by then, of participants dosed by then, as
    recorded now (grade, seriousness, relationship)."""
    if cutoff is None:
        return AdverseEvent.objects.filter(safety_population_condition("participant"))
    return AdverseEvent.objects.filter(dosed(cutoff, "participant"), dated(cutoff, "onset_date"))


def ae_incidence(study: Study, cutoff: Cutoff | None = None) -> dict:
    """AE counts (events and participants) by grade, seriousness and relationship, and the number of
    participants with a safety signal (for the DMC alert), in one query over the safety population;
    the percentages of the safety population are added by add_percents."""
    aggregates = {"events": Count("id"), "participants": Count("participant", distinct=True)}
    aggregates["signal_participants"] = Count(
        "participant", distinct=True, filter=rules.safety_hold_condition(study.hold_min_grade)
    )
    aggregates["te_events"] = Count("id", filter=rules.treatment_emergent_condition())
    categories = {
        "grade": [(str(g), grade_label(g), Q(grade=g)) for g in GRADES],
        "seriousness": [("yes", _("Serious"), Q(serious=True)), ("no", _("Not serious"), Q(serious=False))],
        "relationship": [(value, label, Q(relationship=value)) for value, label in Relationship.choices],
    }
    for name, rows in categories.items():
        for key, _label, condition in rows:
            aggregates[f"{name}:{key}:events"] = Count("id", filter=condition)
            aggregates[f"{name}:{key}:participants"] = Count("participant", distinct=True, filter=condition)
    aggregates["related:events"] = Count("id", filter=Q(relationship__in=rules.RELATED))
    aggregates["related:participants"] = Count("participant", distinct=True, filter=Q(relationship__in=rules.RELATED))
    result = safety_population_events(cutoff).aggregate(**aggregates)
    filters = {"grade": "grade", "seriousness": "serious", "relationship": "relationship"}
    tables = {
        name: [
            {
                "key": key,
                "label": label,
                "events": result[f"{name}:{key}:events"],
                "participants": result[f"{name}:{key}:participants"],
                "query": f"{filters[name]}={key}",
            }
            for key, label, _condition in rows
        ]
        for name, rows in categories.items()
    }
    return {
        "events": result["events"],
        "participants": result["participants"],
        "te_events": result["te_events"],
        "related_events": result["related:events"],
        "related_participants": result["related:participants"],
        "signal_participants": result["signal_participants"],
        "tables": tables,
    }


def ae_by_term(population: int, cutoff: Cutoff | None = None) -> list[dict]:
    """AE counts (events, participants and % of the safety population) by MedDRA primary SOC and preferred
    term of the coded terms; AEs not coded yet are listed by verbatim term (`coded` False, no SOC: the page
    says "Not coded yet" in the reader's language), last. One query."""
    rows = list(
        safety_population_events(cutoff)
        .values(soc=F("coded_llt__pt__primary_soc__name"), preferred=Coalesce(F("coded_llt__pt__name"), F("term")))
        .annotate(events=Count("id"), participants=Count("participant", distinct=True))
        .order_by(F("soc").asc(nulls_last=True), "preferred")
    )
    for row in rows:
        row.update(coded=row["soc"] is not None, percent=_percent(row["participants"], population))
    return rows


SAE_VALUES = (
    "id",
    "ae_number",
    "term",
    "grade",
    "relationship",
    "onset_date",
    "serious",
    "awareness_time",
    "reported_to_sponsor_at",
    "outcome",
    *PARTICIPANT_KEYS,
)
HOLD_VALUES = {
    "hold_id": "safety_holds__id",
    "hold_placed_at": "safety_holds__placed_at",
    "hold_released_at": "safety_holds__released_at",
    "hold_subject_id": "safety_holds__participant__subject_id",
    "hold_usubjid": "safety_holds__participant__usubjid",
}


def sae_rows(study: Study) -> list[dict]:
    """Every SAE, most recent awareness first, with its subject label and clock."""
    rows = list(safety_population_events().filter(serious=True).order_by("-awareness_time", "id").values(*SAE_VALUES))
    add_clock(rows, study)
    return rows


def describe_events(rows, study: Study) -> None:
    """Add the time-independent display fields to AE rows (dicts from values())."""
    relationship_labels = dict(Relationship.choices)
    outcome_labels = dict(Outcome.choices)
    zone = timezone.get_current_timezone()
    for row in rows:
        start = rules.sae_clock_start(serious=row["serious"], awareness_time=row["awareness_time"])
        row.update(
            subject=_label_of(row),
            due_at=_local(rules.sae_due_at(start, study.sae_report_hours), zone),
            awareness=_local(row["awareness_time"], zone),
            reported=_local(row["reported_to_sponsor_at"], zone),
            relationship_label=relationship_labels.get(row["relationship"], row["relationship"]),
            outcome_label=outcome_labels.get(row.get("outcome"), row.get("outcome", "")),
        )


def set_clocks(rows, study: Study, now, cutoff: Cutoff | None = None) -> None:
    """Add the SAE clock as of `now` (due/overdue move with time) to described AE rows; with a cut-off,
    as of the end of the cut-off day (when earlier), a report made after it not counted yet."""
    as_of = now if cutoff is None else min(now, cutoff.end)
    for row in rows:
        reported = row["reported_to_sponsor_at"]
        if cutoff is not None and reported is not None and reported >= cutoff.end:
            reported = None
        start = rules.sae_clock_start(serious=row["serious"], awareness_time=row["awareness_time"])
        clock = rules.sae_clock(start, reported, as_of, study.sae_report_hours)
        row.update(clock=clock.label, clock_state=clock.state or "", clock_badge=clock.badge)


def add_clock(rows, study: Study, cutoff: Cutoff | None = None) -> None:
    """Add subject label and SAE clock (as of now, or of the cut-off) to AE rows (dicts from values())."""
    describe_events(rows, study)
    set_clocks(rows, study, timezone.now(), cutoff)


def add_percents(incidence: dict, population: int) -> None:
    """Each incidence row's participants as a percentage of the safety population (its numerator's)."""
    for rows in incidence["tables"].values():
        for row in rows:
            row["percent"] = _percent(row["participants"], population)


def saes_and_holds(study: Study, cutoff: Cutoff | None = None) -> tuple[list[dict], dict]:
    """SAE rows (no clock yet; the first TABLE_CAP described) and the safety holds, from one query: each hold belongs to
    exactly one AE (`hold_once_per_ae`), so serious or held AEs LEFT JOIN their hold give both. With a
    cut-off: SAEs with onset by then, holds placed by then, open if not released by then."""
    placed = Q(safety_holds__isnull=False) & timed(cutoff, "safety_holds__placed_at")
    population = safety_population_condition("participant") if cutoff is None else dosed(cutoff, "participant")
    rows = list(
        AdverseEvent.objects.filter((Q(serious=True) & dated(cutoff, "onset_date")) | placed)
        .annotate(dosed=population)
        .order_by("-awareness_time", "id")
        .values(*SAE_VALUES, "dosed", **{alias: F(path) for alias, path in HOLD_VALUES.items()})
    )
    saes = [  # the safety population's, as the AE tables
        row for row in rows if row["serious"] and row["dosed"] and (cutoff is None or row["onset_date"] <= cutoff.day)
    ]
    describe_events(saes[:TABLE_CAP], study)  # the rows shown (sae_summary); the clock counts need no text
    held = sorted(
        (row for row in rows if row["hold_id"] is not None and (cutoff is None or row["hold_placed_at"] < cutoff.end)),
        key=lambda r: (r["hold_placed_at"], r["hold_id"]),
    )
    open_rows = [
        {
            "subject": _label_of(row, prefix="hold_"),
            "adverse_event__ae_number": row["ae_number"],
            "placed": _local(row["hold_placed_at"]),
            "reason": hold_reason_lazy({key: row[key] for key in HOLD_REASON_KEYS}, pseudonymised=True),
        }
        for row in held
        if row["hold_released_at"] is None or (cutoff is not None and row["hold_released_at"] >= cutoff.end)
    ]
    holds = {"open": len(open_rows), "released": len(held) - len(open_rows), "open_rows": open_rows[:TABLE_CAP]}
    return saes, holds


def sae_summary(rows: list[dict], study: Study, now, cutoff: Cutoff | None = None) -> dict:
    """SAE counts by clock state and the most recent rows; the clock is set on the rows here."""
    set_clocks(rows, study, now, cutoff)
    states = Counter(row["clock_state"] for row in rows)
    return {
        "total": len(rows),
        "states": [
            {"state": state, "label": label, "count": states.get(state, 0)}
            for state, label in rules.CLOCK_LABELS.items()
        ],
        "rows": rows[:TABLE_CAP],
        "capped": len(rows) > TABLE_CAP,
    }


class _SumTenths(Aggregate):
    """The sum of one-decimal values as an exact integer count of tenths: PostgreSQL sums numeric
    exactly; SQLite stores the values as REAL (20.3 * 10 = 202.99999999999997), so each is rounded
    to its tenths before the sum."""

    function = "SUM"
    template = "CAST(%(function)s(%(expressions)s) * 10 AS integer)"
    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="SUM(CAST(ROUND(%(expressions)s * 10) AS integer))")


def pasi(study: Study, cutoff: Cutoff | None = None) -> dict:
    """PASI per participant and visit (lines, capped) and mean improvement by visit (everyone).

    Two queries: the visit definitions together with the mean of every visit after baseline, grouped
    by the assessments' stored visit code (the number of improvements and their exact sum in tenths,
    from the stored improvement_percent: one index scan, no join, no arithmetic per row), and the PASI
    values of the first PASI_LINES_CAP enrolled participants with a PASI, picked through the
    screening_seq index. The mean of a visit is the mean of every enrolled participant's
    improvement_percent against their own baseline, rounded half away from zero to one decimal.
    With a cut-off, only the assessments dated on or before it.
    """
    assessed = dated(cutoff, "assessment_date")
    # One query: the visit definitions, and after them (UNION ALL) the visits after baseline grouped by
    # their assessments' stored code, each with the number of stored improvements and their exact sum
    # in tenths (one index scan, no arithmetic per row). Visits after screening exist for enrolled
    # participants only (subjects.services.participant_enroll schedules them), so these assessments
    # are all enrolled participants': no join to participants.
    none = Value(None, output_field=IntegerField())
    visit_rows = (
        study.visit_definitions.annotate(n=none, tenths=none)
        .values_list("code", "week", "visitnum", "n", "tenths")
        .order_by()
    )
    after_baseline_codes = study.visit_definitions.filter(week__gt=0).values("code")
    by_visit = (
        PasiAssessment.objects.filter(assessed, visit_code__in=after_baseline_codes)
        .values("visit_code")
        .annotate(week=none, visitnum=none, n=Count("improvement_percent"), tenths=_SumTenths("improvement_percent"))
        .values_list("visit_code", "week", "visitnum", "n", "tenths")
        .order_by()
    )
    definitions, sums, counts = [], Counter(), Counter()
    for code, week, visitnum, n, tenths in visit_rows.union(by_visit, all=True):
        if visitnum is None:
            sums[code] += tenths or 0
            counts[code] += n
        else:
            definitions.append({"code": code, "week": week, "visitnum": visitnum})
    definitions.sort(key=lambda d: d["visitnum"])
    codes = [d["code"] for d in definitions]
    after_baseline = [d["code"] for d in definitions if d["week"]]
    # The first PASI_LINES_CAP enrolled participants with a PASI: a LIMITed subquery along the
    # screening_seq index, then their PASI through the participant index.
    first_with_pasi = (
        Participant.objects.filter(subject_id__isnull=False)
        .filter(Exists(PasiAssessment.objects.filter(assessed, participant=OuterRef("pk"))))
        .order_by("screening_seq")
        .values("pk")[:PASI_LINES_CAP]
    )
    line_rows = (
        PasiAssessment.objects.filter(assessed, participant__in=first_with_pasi)
        .values("pasi_total", *PARTICIPANT_KEYS, code=F("visit_code"), line=F("participant__screening_seq"))
        .order_by()
    )
    lines: dict[int, dict] = {}
    for row in line_rows:
        label = subject_label(*(row[key] for key in PARTICIPANT_KEYS))
        line = lines.setdefault(row["line"], {"label": label, "values": {}})
        line["values"][row["code"]] = float(row["pasi_total"])
    lines = dict(sorted(lines.items()))
    mean_by_visit = [
        {"visit": code, "n": counts[code], "mean": pasi_rules.mean_improvement(sums[code], counts[code])}
        for code in after_baseline
    ]
    chart = {
        "labels": codes,
        "lines": [{"label": line["label"], "data": [line["values"].get(c) for c in codes]} for line in lines.values()],
        "mean_labels": after_baseline,
        "mean": [float(m["mean"]) if m["mean"] is not None else None for m in mean_by_visit],
    }
    return {
        "participants": len(lines),
        "lines_capped": len(lines) >= PASI_LINES_CAP,
        "cap": PASI_LINES_CAP,
        "mean_by_visit": mean_by_visit,
        "chart": chart,
    }


def _bar_chart(rows: list[dict]) -> dict:
    return {
        "labels": [row["label"] for row in rows],
        "events": [row["events"] for row in rows],
        "participants": [row["participants"] for row in rows],
    }


LAB_SHIFT_MIN_GRADE = 3


def lab_shifts(study: Study, cutoff: Cutoff | None = None) -> dict:
    """Laboratory shifts (PROTOCOL §8): results of CTCAE grade 3 or more by test and visit, with how many
    participants had one, among enrolled participants (with a cut-off: enrolled by then, samples
    collected by then). One query."""
    visits = (*SCHEDULED_VISITS, UNSCHEDULED)
    counts = (
        LabResult.objects.filter(ctcae_grade__gte=LAB_SHIFT_MIN_GRADE, participant__subject_id__isnull=False)
        .filter(timed(cutoff, "panel__collected_at"), dated(cutoff, "participant__day1_date"))
        .values("test_code", "panel__visit_code")
        .annotate(results=Count("id"), participants=Count("participant", distinct=True))
    )
    cells = {(row["test_code"], row["panel__visit_code"]): row for row in counts}
    rows = [
        {
            "test": test.label,
            "code": test.code,
            "cells": [cells.get((test.code, visit), {}).get("participants", 0) for visit in visits],
            "total": sum(cells.get((test.code, visit), {}).get("results", 0) for visit in visits),
        }
        for test in LAB_TESTS
    ]
    return {"visits": visits, "rows": rows, "min_grade": LAB_SHIFT_MIN_GRADE}


def dashboard_figures(study: Study, cutoff: Cutoff | None = None) -> dict:
    """Everything on the dashboard that depends on the data only (not on the clock): 10 queries.
    BeforeFirstConsent when the cut-off is before the study's first consent (participant_figures)."""
    counts, exposure = participant_figures(study, cutoff)
    incidence = ae_incidence(study, cutoff)
    saes, holds = saes_and_holds(study, cutoff)
    pasi_data = pasi(study, cutoff)
    add_percents(incidence, exposure["totals"]["participants"])
    incidence["by_term"] = ae_by_term(exposure["totals"]["participants"], cutoff)
    charts = {name: _bar_chart(incidence["tables"][name]) for name in ("grade", "seriousness", "relationship")}
    charts["pasi"] = pasi_data["chart"]
    return {
        "enrollment": counts,
        "exposure": exposure,
        "incidence": incidence,
        "sae_rows": saes,
        "holds": holds,
        "pasi": pasi_data,
        "charts": charts,
        "lab_shifts": lab_shifts(study, cutoff),
    }


def chart_text() -> dict:
    """The words the dashboard's charts draw (static/js/dmc_dashboard.js), in the reader's language."""
    return {
        "events": gettext("Events"),
        "participants": gettext("Participants"),
        "pasi": "PASI",
        "mean_improvement": gettext("Mean improvement from baseline (%)"),
    }


def dashboard_data(study: Study, *, cutoff: Cutoff | None = None, cached: bool = True) -> dict:
    """The dashboard's context, as of today or of a data cut-off. Its figures are shared by every
    reviewer for FIGURES_TTL_SECONDS (per cut-off), unless a service writes data they read
    (trialsite.figures); the parts that move with the clock (SAE due/overdue, the generation time) are
    computed on every request from the figures' rows."""
    if cached:
        name = "dmc-dashboard" if cutoff is None else f"dmc-dashboard:cutoff-{cutoff.day.isoformat()}"
        figures = figures_cache.cached(name, lambda: dashboard_figures(study, cutoff), timeout=FIGURES_TTL_SECONDS)
    else:
        figures = dashboard_figures(study, cutoff)
    now = timezone.now()
    return {
        **figures,
        "study": study,
        "cutoff": cutoff,
        "generated_at": _local(now),
        "charts": {**figures["charts"], "text": chart_text()},
        "saes": sae_summary(figures["sae_rows"], study, now, cutoff),
        "alert": DmcAlert(
            participants=figures["incidence"]["signal_participants"], threshold=study.dmc_alert_threshold
        ),
    }


# --- listings: the rows behind each figure -----------------------------------------------------


@dataclass
class Listing:
    title: str
    columns: list[tuple[str, str]]
    rows: object  # a values() queryset or a list of dicts
    filters: dict = field(default_factory=dict)


AE_COLUMNS = [
    ("subject", _("Subject")),
    ("ae_number", "AE"),
    ("term", _("Term")),
    ("onset_date", _("Onset")),
    ("end_date", _("End")),
    ("grade", _("Grade")),
    ("serious", _("Serious")),
    ("relationship_label", _("Relationship")),
    ("treatment_emergent", _("Treatment-emergent")),
    ("outcome_label", _("Outcome")),
    ("clock", _("SAE clock")),
]
AE_VALUES = (
    "id",
    "ae_number",
    "term",
    "onset_date",
    "end_date",
    "grade",
    "serious",
    "relationship",
    "treatment_emergent",
    "outcome",
    "awareness_time",
    "reported_to_sponsor_at",
    *PARTICIPANT_KEYS,
)
YES = ("yes", "true", "1")


def listing(name: str, params, study: Study, cutoff: Cutoff | None = None) -> Listing:
    """The rows behind a figure of the dashboard, filtered by `params`, as of `cutoff` (None: today)."""
    builders = {
        "participants": _participants_listing,
        "exposure": _exposure_listing,
        "adverse-events": _ae_listing,
        "saes": _sae_listing,
        "signals": _signals_listing,
        "holds": _holds_listing,
        "pasi": _pasi_listing,
    }
    if name not in builders:
        from django.http import Http404

        raise Http404(gettext("No such listing"))
    return builders[name](params, study, cutoff)


def _participants_listing(params, study: Study, cutoff: Cutoff | None) -> Listing:
    participants = Participant.objects.filter(dated(cutoff, "consent_date")).order_by("screening_seq")
    status = statuses(cutoff)
    filters = {}
    if params.get("status") in ParticipantStatus.values:
        participants = participants.filter(status[params["status"]])
        filters[_("status")] = params["status"]
    if params.get("enrolled") in YES:
        participants = participants.filter(status["enrolled_ever"])
        filters[_("enrolled")] = _("yes")
    if params.get("on_hold") in YES:
        participants = participants.filter(on_hold(cutoff))
        filters[_("on hold")] = _("yes")
    counted = participants
    then = {}
    if cutoff is not None:  # the status and hold as they stood at the cut-off replace today's
        then = {
            "status_then": Case(
                *(When(status[value], then=Value(value)) for value in ParticipantStatus.values),
                output_field=CharField(),
            ),
            "on_hold_then": ExpressionWrapper(on_hold(cutoff), output_field=BooleanField()),
        }
    rows = participants.annotate(infusions_given=_infusions_given(cutoff), **then).values(
        "subject_id", "usubjid", "status", "day1_date", "infusions_given", "on_safety_hold", *then
    )

    def decorate(row):
        row.update(subject=_label_of(row, prefix=""))
        if then:
            row.update(status=row.pop("status_then"), on_safety_hold=row.pop("on_hold_then"))

    return Listing(
        _("Participants"),
        [
            ("subject", _("Subject")),
            ("status", _("Status")),
            ("day1_date", _("Day 1")),
            ("infusions_given", _("Infusions")),
            ("on_safety_hold", _("On hold")),
        ],
        _decorated(rows, decorate, counted=counted),
        filters,
    )


def _infusions_given(cutoff: Cutoff | None = None) -> Coalesce:
    """Infusions of the participant (started by the cut-off), as a correlated subquery: a page of 100
    costs 100 index look-ups instead of grouping every participant's infusions."""
    given = Infusion.objects.filter(timed(cutoff, "start_time"), participant=OuterRef("pk"))
    given = given.order_by().values("participant")
    return Coalesce(Subquery(given.annotate(n=Count("id")).values("n")), 0)


def _cells_given(cutoff: Cutoff | None = None) -> Subquery:
    given = Infusion.objects.filter(timed(cutoff, "start_time"), participant=OuterRef("pk"))
    given = given.order_by().values("participant")
    return Subquery(given.annotate(cells=Sum("administered_cells")).values("cells"))


def _exposure_listing(params, study: Study, cutoff: Cutoff | None) -> Listing:
    participants = Participant.objects.filter(statuses(cutoff)["enrolled_ever"]).order_by("screening_seq")
    infusions = Infusion.objects.filter(timed(cutoff, "start_time"))
    filters = {}
    if (params.get("infusions") or "").isdigit():
        given = int(params["infusions"])
        if given:  # one grouped pass over the infusions, then a semi-join
            counts = infusions.order_by().values("participant").annotate(n=Count("id")).filter(n=given)
            participants = participants.filter(pk__in=counts.values("participant"))
        else:
            participants = participants.exclude(Exists(infusions.filter(participant=OuterRef("pk"))))
        filters[_("infusions")] = params["infusions"]
    rows = participants.annotate(infusions_given=_infusions_given(cutoff), cells=_cells_given(cutoff)).values(
        "subject_id", "usubjid", "infusions_given", "cells", "day1_date"
    )
    return Listing(
        _("Exposure"),
        [
            ("subject", _("Subject")),
            ("day1_date", _("Day 1")),
            ("infusions_given", _("Infusions")),
            ("cells", _("Total cells")),
        ],
        _decorated(
            rows,
            lambda row: row.update(subject=_label_of(row, prefix=""), cells=row["cells"] or 0),
            counted=participants,
        ),
        filters,
    )


def _ae_queryset(params, cutoff: Cutoff | None = None):
    events = safety_population_events(cutoff).order_by("participant__screening_seq", "ae_number")
    filters = {}
    if params.get("grade") in [str(g) for g in GRADES]:
        events = events.filter(grade=int(params["grade"]))
        filters[_("grade")] = params["grade"]
    if params.get("serious") in ("yes", "no"):
        events = events.filter(serious=params["serious"] == "yes")
        filters[_("serious")] = params["serious"]
    if params.get("relationship") in Relationship.values:
        events = events.filter(relationship=params["relationship"])
        filters[_("relationship")] = params["relationship"]
    if params.get("related") in YES:
        events = events.filter(relationship__in=rules.RELATED)
        filters[_("related")] = _("yes")
    if params.get("treatment_emergent") in YES:
        events = events.filter(rules.treatment_emergent_condition())
        filters[_("treatment-emergent")] = _("yes")
    return events, filters


def _ae_listing(params, study: Study, cutoff: Cutoff | None) -> Listing:
    events, filters = _ae_queryset(params, cutoff)
    events = events.annotate(treatment_emergent=treatment_emergent_annotation())
    return Listing(_("Adverse events"), AE_COLUMNS, events.values(*AE_VALUES), filters)


def _sae_listing(params, study: Study, cutoff: Cutoff | None) -> Listing:
    events = safety_population_events(cutoff).filter(serious=True)
    rows = list(events.order_by("-awareness_time", "id").values(*SAE_VALUES))
    set_clocks(rows, study, timezone.now(), cutoff)
    filters = {}
    if params.get("clock") in rules.CLOCK_LABELS:
        rows = [row for row in rows if row["clock_state"] == params["clock"]]
        filters[_("SAE clock")] = rules.CLOCK_LABELS[params["clock"]]
    columns = [
        ("subject", _("Subject")),
        ("ae_number", "AE"),
        ("term", _("Term")),
        ("grade", _("Grade")),
        ("relationship_label", _("Relationship")),
        ("awareness", _("Awareness")),
        ("due_at", _("Report due")),
        ("reported", _("Reported")),
        ("clock", _("Timeliness")),
    ]
    return Listing(
        _("Serious adverse events"), columns, _decorated(rows, lambda row: describe_events([row], study)), filters
    )


def _signals_listing(params, study: Study, cutoff: Cutoff | None) -> Listing:
    events = signal_events(study).filter(dated(cutoff, "onset_date"))
    events = events.order_by("participant__screening_seq", "ae_number")
    events = events.annotate(treatment_emergent=treatment_emergent_annotation())
    return Listing(
        _("Safety signals (related AE of grade ≥ %(grade)s or related SAE)") % {"grade": study.hold_min_grade},
        AE_COLUMNS,
        events.values(*AE_VALUES),
    )


def _holds_listing(params, study: Study, cutoff: Cutoff | None) -> Listing:
    rows = SafetyHold.objects.filter(timed(cutoff, "placed_at")).order_by("placed_at")
    open_then = Q(released_at=None) | ~timed(cutoff, "released_at") if cutoff else Q(released_at=None)
    filters = {}
    if params.get("open") in YES:
        rows = rows.filter(open_then)
        filters[_("open")] = _("yes")
    elif params.get("open") == "no":
        rows = rows.exclude(open_then)
        filters[_("open")] = _("no")
    rows = rows.values(
        "placed_at",
        "released_at",
        "release_reason",
        *PARTICIPANT_KEYS,
        **{key: F(f"adverse_event__{key}") for key in HOLD_REASON_KEYS},
    )

    def decorate(row):
        row.update(
            subject=_label_of(row),
            placed=_local(row["placed_at"]),
            released=_local(row["released_at"]),
            reason=hold_reason_of(row, pseudonymised=True),
            adverse_event__ae_number=row["ae_number"],
        )

    return Listing(
        _("Safety holds"),
        [
            ("subject", _("Subject")),
            ("adverse_event__ae_number", "AE"),
            ("placed", _("Placed")),
            ("reason", _("Reason")),
            ("released", _("Released")),
            ("release_reason", _("Release reason")),
        ],
        _decorated(rows, decorate),
        filters,
    )


def _pasi_listing(params, study: Study, cutoff: Cutoff | None) -> Listing:
    rows = PasiAssessment.objects.filter(dated(cutoff, "assessment_date"), participant__subject_id__isnull=False)
    rows = rows.order_by("participant__screening_seq", "visit__visitnum")
    filters = {}
    if params.get("visit"):
        rows = rows.filter(visit_code=params["visit"])
        filters[_("visit")] = params["visit"]
    counted = rows
    rows = rows.values(
        "visit_code",
        "assessment_date",
        "pasi_total",
        "participant__baseline_pasi",
        "improvement_percent",  # the stored value the dashboard's mean is made of
        *PARTICIPANT_KEYS,
    )

    def decorate(row):
        row.update(subject=_label_of(row))

    return Listing(
        _("PASI assessments"),
        [
            ("subject", _("Subject")),
            ("visit_code", _("Visit")),
            ("assessment_date", _("Date")),
            ("participant__baseline_pasi", _("Baseline PASI")),
            ("pasi_total", "PASI"),
            ("improvement_percent", _("Improvement %")),
        ],
        _decorated(rows, decorate, counted=counted),
        filters,
    )


class _decorated:
    """Rows (a values() queryset or a list of dicts) completed (labels, derived values) when a page is
    read; counted from `counted` (the same rows without the joins and annotations of the display)."""

    def __init__(self, rows, decorate, counted=None):
        self.rows = rows
        self.decorate = decorate
        self.counted = counted if counted is not None else rows

    def count(self) -> int:
        return len(self.counted) if isinstance(self.counted, list) else self.counted.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        rows = self.rows[index]
        if isinstance(index, slice):
            rows = list(rows)
            for row in rows:
                self.decorate(row)
            return rows
        self.decorate(rows)
        return rows


def listing_cells(row: dict, columns) -> list[tuple[object, str]]:
    """(value, badge class) of each column of a listing row, as the listing shows them: Yes/No/—,
    dates as Y-m-d (datetimes in the current time zone), the SAE clock as a badge."""
    cells = []
    for key, _label in columns:
        value = row.get(key, "")
        if value is True:
            cells.append((gettext("Yes"), ""))
        elif value is False:
            cells.append((gettext("No"), ""))
        elif value is None:
            cells.append(("—", ""))
        elif key == "clock" and value:
            cells.append((value, row.get("clock_badge", "")))
        elif isinstance(value, date):
            cells.append((date_filter(template_localtime(value), "Y-m-d") or value, ""))
        else:
            cells.append((value, ""))
    return cells
