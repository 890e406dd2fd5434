"""The DMC dashboard and its listings: pseudonymised (subject IDs only), aggregated in SQL.

Every query here is a fixed number of aggregate or values() queries, independent of the
number of participants; Python only reshapes rows already fetched. Each figure on the
dashboard links to a listing (`safety:listing`) with the rows behind it.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from django.db.models import Count, Q, Sum
from django.utils import timezone

from assessments.models import PasiAssessment
from assessments.pasi import improvement_percent
from safety import rules
from safety.models import AdverseEvent, Outcome, Relationship, SafetyHold
from safety.services import DmcAlert, signal_condition, signal_events
from subjects.models import Participant, ParticipantStatus, Study

PASI_LINES_CAP = 50  # lines drawn in the per-participant chart; the mean uses everyone
TABLE_CAP = 100  # rows shown inline on the dashboard; the listing has them all
GRADES = (1, 2, 3, 4, 5)


def subject_label(subject_id: str | None, usubjid: str | None, screening_number: str) -> str:
    """The displayed subject ID, by the Participant model's own rule."""
    return Participant(subject_id=subject_id, usubjid=usubjid, screening_number=screening_number).display_id


def _label_of(row: dict, prefix: str = "participant__") -> str:
    return subject_label(row[f"{prefix}subject_id"], row[f"{prefix}usubjid"], row[f"{prefix}screening_number"])


PARTICIPANT_KEYS = ("participant__subject_id", "participant__usubjid", "participant__screening_number")


def _local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# --- the dashboard ---------------------------------------------------------------------------


def enrollment() -> dict:
    return Participant.objects.aggregate(
        screened=Count("id"),
        screen_failed=Count("id", filter=Q(status=ParticipantStatus.SCREEN_FAILED)),
        enrolled=Count("id", filter=Q(subject_id__isnull=False)),
        on_treatment=Count("id", filter=Q(status=ParticipantStatus.ENROLLED)),
        completed=Count("id", filter=Q(status=ParticipantStatus.COMPLETED)),
        withdrawn=Count("id", filter=Q(status=ParticipantStatus.WITHDRAWN)),
        on_hold=Count("id", filter=Q(on_safety_hold=True)),
    )


def exposure(study: Study) -> dict:
    """Infusions given per enrolled participant and total cells, from one grouped query."""
    rows = list(
        Participant.objects.filter(subject_id__isnull=False)
        .annotate(infusions_given=Count("infusions"), cells=Sum("infusions__administered_cells"))
        .order_by("screening_seq")
        .values_list("subject_id", "usubjid", "screening_number", "infusions_given", "cells")
    )
    distribution = Counter(row[3] for row in rows)
    return {
        "distribution": [
            {"infusions": n, "participants": distribution.get(n, 0)} for n in range(study.max_infusions + 1)
        ],
        "totals": {
            "infusions": sum(row[3] for row in rows),
            "cells": sum(row[4] or 0 for row in rows),
            "participants": sum(1 for row in rows if row[3]),
        },
        "per_participant": [
            {"subject": subject_label(sid, usubjid, scr), "infusions_given": n, "cells": cells or 0}
            for sid, usubjid, scr, n, cells in rows[:TABLE_CAP]
        ],
    }


def ae_incidence(enrolled: int, study: Study) -> dict:
    """AE counts (events and participants) by grade, seriousness and relationship, and the number of
    participants with a safety signal (for the DMC alert), in one query."""
    aggregates = {"events": Count("id"), "participants": Count("participant", distinct=True)}
    aggregates["signal_participants"] = Count("participant", distinct=True, filter=signal_condition(study))
    aggregates["te_events"] = Count("id", filter=Q(treatment_emergent=True))
    categories = {
        "grade": [(str(g), f"Grade {g}", Q(grade=g)) for g in GRADES],
        "seriousness": [("yes", "Serious", Q(serious=True)), ("no", "Not serious", Q(serious=False))],
        "relationship": [(value, label, Q(relationship=value)) for value, label in Relationship.choices],
    }
    for name, rows in categories.items():
        for key, _label, condition in rows:
            aggregates[f"{name}:{key}:events"] = Count("id", filter=condition)
            aggregates[f"{name}:{key}:participants"] = Count("participant", distinct=True, filter=condition)
    aggregates["related:events"] = Count("id", filter=Q(relationship__in=rules.RELATED_RELATIONSHIPS))
    aggregates["related:participants"] = Count(
        "participant", distinct=True, filter=Q(relationship__in=rules.RELATED_RELATIONSHIPS)
    )
    result = AdverseEvent.objects.aggregate(**aggregates)
    filters = {"grade": "grade", "seriousness": "serious", "relationship": "relationship"}
    tables = {
        name: [
            {
                "key": key,
                "label": label,
                "events": result[f"{name}:{key}:events"],
                "participants": result[f"{name}:{key}:participants"],
                "percent": _percent(result[f"{name}:{key}:participants"], enrolled),
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


def sae_rows(study: Study, limit: int | None = None) -> list[dict]:
    rows = (
        AdverseEvent.objects.filter(serious=True)
        .order_by("-awareness_time", "id")
        .values(
            "id",
            "ae_number",
            "term",
            "grade",
            "relationship",
            "onset_date",
            "awareness_time",
            "reported_to_sponsor_at",
            "outcome",
            *PARTICIPANT_KEYS,
        )
    )
    rows = list(rows[:limit] if limit else rows)
    add_clock(rows, study)
    return rows


def add_clock(rows, study: Study) -> None:
    """Add subject label and SAE clock to AE rows (dicts from values())."""
    now = timezone.now()
    relationship_labels = dict(Relationship.choices)
    outcome_labels = dict(Outcome.choices)
    for row in rows:
        clock = rules.sae_clock(row["awareness_time"], row["reported_to_sponsor_at"], now, study.sae_report_hours)
        row.update(
            subject=_label_of(row),
            clock=clock.label,
            clock_state=clock.state or "",
            clock_badge=clock.badge,
            due_at=_local(clock.due_at),
            awareness=_local(row["awareness_time"]),
            reported=_local(row["reported_to_sponsor_at"]),
            relationship_label=relationship_labels.get(row["relationship"], row["relationship"]),
            outcome_label=outcome_labels.get(row.get("outcome"), row.get("outcome", "")),
        )


def sae_summary(study: Study) -> dict:
    rows = sae_rows(study)
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


def holds() -> dict:
    rows = list(
        SafetyHold.objects.order_by("placed_at").values(
            "id", "placed_at", "released_at", "reason", "adverse_event__ae_number", *PARTICIPANT_KEYS
        )
    )
    open_rows = [row for row in rows if row["released_at"] is None]
    for row in open_rows[:TABLE_CAP]:
        row["subject"] = _label_of(row)
        row["placed"] = _local(row["placed_at"])
    return {"open": len(open_rows), "released": len(rows) - len(open_rows), "open_rows": open_rows[:TABLE_CAP]}


@lru_cache(maxsize=200_000)
def _improvement(baseline: Decimal, value: Decimal) -> Decimal | None:
    """improvement_percent, memoised: it is a pure function of two one-decimal values."""
    return improvement_percent(baseline, value)


def pasi(study: Study) -> dict:
    """PASI per participant and visit (lines, capped) and mean improvement by visit (everyone).

    The mean is taken over every enrolled participant's improvement_percent (against their own
    baseline); identical (visit, baseline, PASI) combinations are grouped in SQL and weighted.
    """
    definitions = list(study.visit_definitions.order_by("visitnum").values("code", "week"))
    codes = [d["code"] for d in definitions]
    assessed = PasiAssessment.objects.filter(participant__subject_id__isnull=False)
    first_participants = (
        Participant.objects.filter(subject_id__isnull=False, pasi_assessments__isnull=False)
        .distinct()
        .order_by("screening_seq")
        .values("screening_seq")[:PASI_LINES_CAP]
    )
    line_rows = (
        assessed.filter(participant__screening_seq__in=first_participants)
        .order_by("participant__screening_seq", "visit__visitnum")
        .values_list(
            "participant_id",
            "participant__subject_id",
            "participant__usubjid",
            "participant__screening_number",
            "visit__visit_code",
            "pasi_total",
        )
    )
    lines: dict[int, dict] = {}
    for pid, subject_id, usubjid, screening_number, code, total in line_rows:
        line = lines.setdefault(pid, {"label": subject_label(subject_id, usubjid, screening_number), "values": {}})
        line["values"][code] = float(total)
    combinations = (
        assessed.filter(participant__baseline_pasi__isnull=False)
        .values_list("visit__visit_code", "participant__baseline_pasi", "pasi_total")
        .annotate(n=Count("id"))
        .order_by()
    )
    sums: dict[str, Decimal] = defaultdict(Decimal)
    counts: Counter = Counter()
    for code, baseline, total, n in combinations:
        change = _improvement(baseline, total)
        if change is not None:
            sums[code] += change * n
            counts[code] += n
    after_baseline = [d["code"] for d in definitions if d["week"]]
    mean_by_visit = []
    for code in after_baseline:
        n = counts.get(code, 0)
        mean = (sums[code] / n).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) if n else None
        mean_by_visit.append({"visit": code, "n": n, "mean": mean})
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


def dashboard_data(study: Study) -> dict:
    counts = enrollment()
    incidence = ae_incidence(counts["enrolled"], study)
    alert = DmcAlert(participants=incidence["signal_participants"], threshold=study.dmc_alert_threshold)
    tables = incidence["tables"]
    charts = {
        "grade": {
            "labels": [row["label"] for row in tables["grade"]],
            "events": [row["events"] for row in tables["grade"]],
            "participants": [row["participants"] for row in tables["grade"]],
        },
        "seriousness": {
            "labels": [row["label"] for row in tables["seriousness"]],
            "events": [row["events"] for row in tables["seriousness"]],
            "participants": [row["participants"] for row in tables["seriousness"]],
        },
        "relationship": {
            "labels": [row["label"] for row in tables["relationship"]],
            "events": [row["events"] for row in tables["relationship"]],
            "participants": [row["participants"] for row in tables["relationship"]],
        },
    }
    pasi_data = pasi(study)
    charts["pasi"] = pasi_data["chart"]
    return {
        "study": study,
        "generated_at": _local(timezone.now()),
        "enrollment": counts,
        "exposure": exposure(study),
        "incidence": incidence,
        "saes": sae_summary(study),
        "holds": holds(),
        "alert": alert,
        "pasi": pasi_data,
        "charts": charts,
    }


# --- listings: the rows behind each figure -----------------------------------------------------


@dataclass
class Listing:
    title: str
    columns: list[tuple[str, str]]
    rows: object  # a values() queryset or a list of dicts
    filters: dict = field(default_factory=dict)


AE_COLUMNS = [
    ("subject", "Subject"),
    ("ae_number", "AE"),
    ("term", "Term"),
    ("onset_date", "Onset"),
    ("end_date", "End"),
    ("grade", "Grade"),
    ("serious", "Serious"),
    ("relationship_label", "Relationship"),
    ("treatment_emergent", "Treatment-emergent"),
    ("outcome_label", "Outcome"),
    ("clock", "SAE clock"),
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


def listing(name: str, params, study: Study) -> Listing:
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

        raise Http404("No such listing")
    return builders[name](params, study)


def _participants_listing(params, study: Study) -> Listing:
    participants = Participant.objects.order_by("screening_seq")
    filters = {}
    if params.get("status") in ParticipantStatus.values:
        participants = participants.filter(status=params["status"])
        filters["status"] = params["status"]
    if params.get("enrolled") in YES:
        participants = participants.filter(subject_id__isnull=False)
        filters["enrolled"] = "yes"
    if params.get("on_hold") in YES:
        participants = participants.filter(on_safety_hold=True)
        filters["on hold"] = "yes"
    rows = participants.annotate(infusions_given=Count("infusions")).values(
        "subject_id", "usubjid", "screening_number", "status", "day1_date", "infusions_given", "on_safety_hold"
    )
    return Listing(
        "Participants",
        [
            ("subject", "Subject"),
            ("status", "Status"),
            ("day1_date", "Day 1"),
            ("infusions_given", "Infusions"),
            ("on_safety_hold", "On hold"),
        ],
        _decorated(rows, lambda row: row.update(subject=_label_of(row, prefix=""))),
        filters,
    )


def _exposure_listing(params, study: Study) -> Listing:
    rows = (
        Participant.objects.filter(subject_id__isnull=False)
        .annotate(infusions_given=Count("infusions"), cells=Sum("infusions__administered_cells"))
        .order_by("screening_seq")
    )
    filters = {}
    if (params.get("infusions") or "").isdigit():
        rows = rows.filter(infusions_given=int(params["infusions"]))
        filters["infusions"] = params["infusions"]
    rows = rows.values("subject_id", "usubjid", "screening_number", "infusions_given", "cells", "day1_date")
    return Listing(
        "Exposure",
        [("subject", "Subject"), ("day1_date", "Day 1"), ("infusions_given", "Infusions"), ("cells", "Total cells")],
        _decorated(rows, lambda row: row.update(subject=_label_of(row, prefix=""), cells=row["cells"] or 0)),
        filters,
    )


def _ae_queryset(params):
    events = AdverseEvent.objects.order_by("participant__screening_seq", "ae_number")
    filters = {}
    if params.get("grade") in [str(g) for g in GRADES]:
        events = events.filter(grade=int(params["grade"]))
        filters["grade"] = params["grade"]
    if params.get("serious") in ("yes", "no"):
        events = events.filter(serious=params["serious"] == "yes")
        filters["serious"] = params["serious"]
    if params.get("relationship") in Relationship.values:
        events = events.filter(relationship=params["relationship"])
        filters["relationship"] = params["relationship"]
    if params.get("related") in YES:
        events = events.filter(relationship__in=rules.RELATED_RELATIONSHIPS)
        filters["related"] = "yes"
    if params.get("treatment_emergent") in YES:
        events = events.filter(treatment_emergent=True)
        filters["treatment-emergent"] = "yes"
    return events, filters


def _ae_listing(params, study: Study) -> Listing:
    events, filters = _ae_queryset(params)
    return Listing("Adverse events", AE_COLUMNS, events.values(*AE_VALUES), filters)


def _sae_listing(params, study: Study) -> Listing:
    rows = sae_rows(study)
    filters = {}
    if params.get("clock") in rules.CLOCK_LABELS:
        rows = [row for row in rows if row["clock_state"] == params["clock"]]
        filters["SAE clock"] = rules.CLOCK_LABELS[params["clock"]]
    columns = [
        ("subject", "Subject"),
        ("ae_number", "AE"),
        ("term", "Term"),
        ("grade", "Grade"),
        ("relationship_label", "Relationship"),
        ("awareness", "Awareness"),
        ("due_at", "Report due"),
        ("reported", "Reported"),
        ("clock", "Timeliness"),
    ]
    return Listing("Serious adverse events", columns, rows, filters)


def _signals_listing(params, study: Study) -> Listing:
    events = signal_events(study).order_by("participant__screening_seq", "ae_number")
    return Listing(
        f"Safety signals (related AE of grade ≥ {study.hold_min_grade} or related SAE)",
        AE_COLUMNS,
        events.values(*AE_VALUES),
    )


def _holds_listing(params, study: Study) -> Listing:
    rows = SafetyHold.objects.order_by("placed_at")
    filters = {}
    if params.get("open") in YES:
        rows = rows.filter(released_at=None)
        filters["open"] = "yes"
    elif params.get("open") == "no":
        rows = rows.exclude(released_at=None)
        filters["open"] = "no"
    rows = rows.values(
        "placed_at", "reason", "released_at", "release_reason", "adverse_event__ae_number", *PARTICIPANT_KEYS
    )

    def decorate(row):
        row.update(subject=_label_of(row), placed=_local(row["placed_at"]), released=_local(row["released_at"]))

    return Listing(
        "Safety holds",
        [
            ("subject", "Subject"),
            ("adverse_event__ae_number", "AE"),
            ("placed", "Placed"),
            ("reason", "Reason"),
            ("released", "Released"),
            ("release_reason", "Release reason"),
        ],
        _decorated(rows, decorate),
        filters,
    )


def _pasi_listing(params, study: Study) -> Listing:
    rows = PasiAssessment.objects.filter(participant__subject_id__isnull=False).order_by(
        "participant__screening_seq", "visit__visitnum"
    )
    filters = {}
    if params.get("visit"):
        rows = rows.filter(visit__visit_code=params["visit"])
        filters["visit"] = params["visit"]
    rows = rows.values(
        "visit__visit_code", "assessment_date", "pasi_total", "participant__baseline_pasi", *PARTICIPANT_KEYS
    )

    def decorate(row):
        row.update(
            subject=_label_of(row),
            improvement=improvement_percent(row["participant__baseline_pasi"], row["pasi_total"]),
        )

    return Listing(
        "PASI assessments",
        [
            ("subject", "Subject"),
            ("visit__visit_code", "Visit"),
            ("assessment_date", "Date"),
            ("participant__baseline_pasi", "Baseline PASI"),
            ("pasi_total", "PASI"),
            ("improvement", "Improvement %"),
        ],
        _decorated(rows, decorate),
        filters,
    )


class _decorated:
    """A values() queryset whose rows are completed (labels, derived values) when a page is read."""

    def __init__(self, queryset, decorate):
        self.queryset = queryset
        self.decorate = decorate

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        rows = self.queryset[index]
        if isinstance(index, slice):
            rows = list(rows)
            for row in rows:
                self.decorate(row)
            return rows
        self.decorate(rows)
        return rows
