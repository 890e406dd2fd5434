"""Read side of dosing for the participant page: one row per dosing visit, in constant queries."""

from dataclasses import dataclass

from django.db.models import Count

from dosing.models import Infusion
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


def participant_dosing(participant) -> dict:
    """Dosing visits with planned vs administered, deviation flags and cumulative cells (3 queries)."""
    dosing_codes = list(VisitDefinition.objects.filter(dosing=True).values_list("code", flat=True))
    visits = (
        Visit.objects.filter(participant=participant, visit_code__in=dosing_codes)
        .annotate(vitals_count=Count("vital_signs"))
        .order_by("visitnum")
    )
    infusions = {i.visit_id: i for i in Infusion.objects.filter(participant=participant).select_related("visit")}
    rows, cumulative = [], 0
    for visit in visits:
        infusion = infusions.get(visit.pk)
        if infusion is not None:
            cumulative += infusion.administered_cells
        rows.append(DosingRow(visit, infusion, cumulative, visit.vitals_count))
    return {
        "rows": rows,
        "infusions_given": len(infusions),
        "total_cells": cumulative,
        "deviations": sum(1 for i in infusions.values() if i.dose_deviation),
    }
