"""Read side of dosing for the participant page: one row per dosing visit, in constant queries."""

from dataclasses import dataclass

from django.db.models import Count

from dosing.models import Infusion, VitalSigns
from subjects.models import Visit, VisitDefinition
from subjects.schedule import is_in_window


@dataclass(frozen=True)
class DosingRow:
    visit: Visit
    infusion: Infusion | None
    cumulative_cells: int
    vitals_count: int

    @property
    def out_of_window(self) -> bool:
        visit = self.visit
        if visit.actual_date is None:
            return False
        return not is_in_window(visit.actual_date, visit.window_start, visit.window_end)


def _infusion_of(visit) -> Infusion | None:
    try:
        return visit.infusion
    except Infusion.DoesNotExist:
        return None


def participant_dosing(participant, visits=None) -> dict:
    """Dosing visits with planned vs administered, deviation flags and cumulative cells.

    `visits`: the participant's visits with `infusion` already selected (the participant page passes
    the one list it fetched); without it, one more query fetches them. Two queries besides: the dosing
    visit codes and the vital-signs count per visit.
    """
    dosing_codes = set(VisitDefinition.objects.filter(dosing=True).values_list("code", flat=True))
    if visits is None:
        visits = list(participant.visits.select_related("infusion"))
    visits = sorted(visits, key=lambda visit: visit.visitnum)
    vitals_counts = dict(
        VitalSigns.objects.filter(participant=participant)
        .order_by()
        .values("visit_id")
        .annotate(count=Count("pk"))
        .values_list("visit_id", "count")
    )
    infusions = [infusion for infusion in map(_infusion_of, visits) if infusion is not None]
    rows, cumulative = [], 0
    for visit in visits:
        if visit.visit_code not in dosing_codes:
            continue
        infusion = _infusion_of(visit)
        if infusion is not None:
            cumulative += infusion.administered_cells
        rows.append(DosingRow(visit, infusion, cumulative, vitals_counts.get(visit.pk, 0)))
    return {
        "rows": rows,
        "infusions_given": len(infusions),
        "total_cells": cumulative,
        "deviations": sum(1 for infusion in infusions if infusion.dose_deviation),
    }
