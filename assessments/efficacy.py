"""Read side of PASI efficacy: per-assessment improvement and responders, and a participant summary.

Every figure comes from `assessments/pasi.py`; this module only fetches (in a constant number of
queries) and arranges.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext

from assessments import pasi
from assessments.models import PasiAssessment
from assessments.services import choose_baseline
from subjects import schedule

PRIMARY_ENDPOINT_VISIT = "W12"


@dataclass(frozen=True)
class PasiRow:
    assessment: PasiAssessment
    visit_code: str
    pasi_total: Decimal
    improvement_percent: Decimal | None
    responders: dict[str, bool | None]
    in_window: bool
    baseline_role: str = ""  # "baseline" (this PASI is the baseline), "before baseline", or "" (after it)


def efficacy(baseline: Decimal | None, value: Decimal | None, visit_code: str) -> dict:
    """improvement_percent and pasi50..pasi100 of `value` at `visit_code` against `baseline` (None when
    undefined: without a baseline above 0, and at or before the baseline, pasi.is_after_baseline)."""
    if not pasi.is_after_baseline(visit_code):
        baseline = None
    return {"improvement_percent": pasi.improvement_percent(baseline, value), **pasi.responder_flags(baseline, value)}


def region_subtotals(assessment: PasiAssessment) -> dict[str, Decimal]:
    """Each region's contribution to the saved PASI, computed by the PASI rules."""
    return {
        region: pasi.region_subtotal(
            region,
            pasi.RegionScores(
                erythema=getattr(assessment, f"{region}_erythema"),
                induration=getattr(assessment, f"{region}_induration"),
                desquamation=getattr(assessment, f"{region}_desquamation"),
                area_score=getattr(assessment, f"{region}_area_score"),
            ),
        )
        for region in pasi.REGIONS
    }


def _assessment_of(visit) -> PasiAssessment | None:
    try:
        return visit.pasi_assessment
    except PasiAssessment.DoesNotExist:
        return None


def participant_pasi(participant, visits=None) -> dict:
    """PASI over time with improvement, responders and the W12 primary endpoint.

    `visits`: the participant's visits with `pasi_assessment` already selected (the participant
    page passes the one list it fetched); without it, one query fetches them.
    """
    if visits is None:
        visits = list(participant.visits.select_related("pasi_assessment"))
    visits = sorted(visits, key=lambda visit: visit.visitnum)
    baseline = participant.baseline_pasi
    assessments = [(visit, _assessment_of(visit)) for visit in visits]
    baseline_assessment = choose_baseline([a for _visit, a in assessments if a is not None], participant.day1_date)
    rows = []
    for visit, assessment in assessments:
        if assessment is None:
            continue
        figures = efficacy(baseline, assessment.pasi_total, visit.visit_code)
        role = ""
        if assessment is baseline_assessment:
            role = "baseline"
        elif not pasi.is_after_baseline(visit.visit_code):
            role = "before baseline"
        rows.append(
            PasiRow(
                assessment=assessment,
                visit_code=visit.visit_code,
                pasi_total=assessment.pasi_total,
                improvement_percent=figures["improvement_percent"],
                responders={k: v for k, v in figures.items() if k.startswith("pasi")},
                in_window=schedule.is_in_window(assessment.assessment_date, visit.window_start, visit.window_end),
                baseline_role=role,
            )
        )
    current = rows[-1] if rows else None
    primary = next((row for row in rows if row.visit_code == PRIMARY_ENDPOINT_VISIT), None)
    chart = {
        "labels": [row.visit_code for row in rows],
        "pasi": [str(row.pasi_total) for row in rows],
        "baseline": str(baseline) if baseline is not None else None,
    }
    return {
        "visits": visits,
        "baseline": baseline,
        "rows": rows,
        "current": current,
        "primary": primary,
        "chart": chart,
        # The chart's words (static/js/pasi_chart.js), in the reader's language.
        "chart_text": {"pasi": "PASI", "baseline": gettext("Baseline")},
    }
