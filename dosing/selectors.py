"""Read side of dosing for the participant page: one row per dosing visit, in constant queries."""

from dataclasses import dataclass

from dosing.models import Infusion
from subjects.models import Visit
from subjects.schedule import is_in_window
from subjects.services import page_visits


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

    `visits`: the participant's visits with `infusion` selected and annotated with `dosing` (the
    schedule doses there) and `vitals_count`, as the participant page fetches them once
    (subjects.services.page_visits); without them, that query fetches them.
    """
    if visits is None:
        visits = page_visits(participant)
    visits = sorted(visits, key=lambda visit: visit.visitnum)
    infusions = [infusion for infusion in map(_infusion_of, visits) if infusion is not None]
    rows, cumulative = [], 0
    for visit in visits:
        if not visit.dosing:
            continue
        infusion = _infusion_of(visit)
        if infusion is not None:
            cumulative += infusion.administered_cells
        rows.append(DosingRow(visit, infusion, cumulative, visit.vitals_count))
    return {
        "rows": rows,
        "infusions_given": len(infusions),
        "total_cells": cumulative,
        "deviations": sum(1 for infusion in infusions if infusion.dose_deviation),
    }
