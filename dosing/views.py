from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dosing import dose
from dosing.forms import InfusionForm, MillionCellsField, VitalSignsForm
from dosing.models import Infusion, VitalSigns
from dosing.rules import infusion_blockers
from dosing.services import WEIGHT_TIMEPOINTS, infusion_record, vitals_record
from subjects.flow import after_save
from subjects.models import Study, Visit, VisitDefinition
from subjects.views import visit_or_404
from trialsite.access import requires
from trialsite.forms import form_status, submit
from trialsite.roles import Cap, has_cap
from trialsite.templatetags.numbers import grouped


def _save_vitals(request, form: VitalSignsForm, visit: Visit, record: VitalSigns | None) -> VitalSigns | None:
    data = form.cleaned_data
    return vitals_record(
        visit=visit,
        user=request.user,
        timepoint=data.get("timepoint"),
        measured_at=data.get("measured_at"),
        minutes_after_start=data.get("minutes_after_start"),
        reason=data.get("reason_for_change") or None,
        vital_signs=record,
        expected_version=form.expected_version,
        **form.values(),
    )


@requires(Cap.VIEW_CLINICAL)
def vitals(request: HttpRequest, screening_number: str, visit_code: str) -> HttpResponse:
    """The vital signs of a visit; a data-entry role adds a time point."""
    visit = visit_or_404(screening_number, visit_code)
    can_enter = has_cap(request.user, Cap.ENTER_DATA)
    form = VitalSignsForm(initial={"timepoint": "pre_infusion" if visit.visit_code != "SCR" else "visit"})
    if request.method == "POST":
        if not can_enter:
            raise PermissionDenied
        form = VitalSignsForm(request.POST)
        if submit(form, lambda: _save_vitals(request, form, visit, None)):
            messages.success(request, _("Vital signs at %(visit)s saved.") % {"visit": visit.visit_code})
            return redirect(after_save(request.POST, visit.participant, visit.visit_code, "vital_signs"))
    records = VitalSigns.objects.filter(visit=visit).order_by("measured_at", "minutes_after_start")
    context = {"visit": visit, "participant": visit.participant, "records": records, "form": form}
    context["can_enter"] = can_enter
    context["interval"] = Study.current().vitals_interval_minutes
    return render(request, "dosing/vitals.html", context, status=form_status(form, invalid=400))


@requires(Cap.ENTER_DATA)
def vitals_edit(request: HttpRequest, screening_number: str, visit_code: str, pk: int) -> HttpResponse:
    """Correct recorded vital signs (a reason for change is required)."""
    visit = visit_or_404(screening_number, visit_code)
    record = get_object_or_404(VitalSigns, pk=pk, visit=visit)
    form = VitalSignsForm(request.POST or None, record=record)
    if request.method == "POST" and submit(form, lambda: _save_vitals(request, form, visit, record)):
        messages.success(request, _("Vital signs corrected."))
        return redirect(after_save(request.POST, visit.participant, visit.visit_code, "vital_signs"))
    context = {"visit": visit, "participant": visit.participant, "record": record, "form": form}
    return render(request, "dosing/vitals_edit.html", context, status=form_status(form, invalid=400))


def _planned_preview(visit: Visit, study: Study) -> dict | None:
    """The planned dose from the latest weight recorded at this visit (pre-infusion preferred)."""
    weights = VitalSigns.objects.filter(visit=visit, timepoint__in=WEIGHT_TIMEPOINTS, weight_kg__isnull=False)
    weight = weights.order_by("-timepoint", "-measured_at").first()  # "pre_infusion" sorts after "visit"
    if weight is None:
        return None
    planned = dose.planned_cells(weight.weight_kg, study.dose_per_kg_cells)
    low, high = dose.dose_bounds(planned, study.dose_tolerance_percent)
    return {"weight": weight, "planned_cells": planned, "low": low, "high": high}


@requires(Cap.VIEW_CLINICAL)
def infusion(request: HttpRequest, screening_number: str, visit_code: str) -> HttpResponse:
    """The infusion of a dosing visit: see it, or (data-entry role) record or correct it."""
    visit = visit_or_404(screening_number, visit_code)
    study = Study.current()
    definition = VisitDefinition.objects.filter(study=study, code=visit.visit_code).first()
    recorded = Infusion.objects.filter(visit=visit).select_related("administered_by").first()
    can_enter = has_cap(request.user, Cap.ENTER_DATA) and definition is not None and definition.dosing
    if request.method == "POST":
        if not can_enter:
            raise PermissionDenied
        form = InfusionForm(request.POST, record=recorded)
        saved = submit(
            form,
            lambda: infusion_record(
                visit=visit,
                user=request.user,
                reason=form.cleaned_data.get("reason_for_change") or None,
                expected_version=form.expected_version,
                **form.service_kwargs(),
            ),
        )
        if saved is not None:
            messages.success(
                request,
                _("Infusion %(number)s at %(visit)s saved.")
                % {"number": saved.infusion_number, "visit": visit.visit_code},
            )
            return redirect(after_save(request.POST, visit.participant, visit.visit_code, "infusion"))
    elif recorded:
        form = InfusionForm(record=recorded)
    else:
        form = InfusionForm(initial={"whole_volume_given": "yes", "interrupted": "no"})
    context = {
        "visit": visit,
        "participant": visit.participant,
        "study": study,
        "infusion": recorded,
        "form": form,
        "can_enter": can_enter,
        "is_dosing_visit": definition is not None and definition.dosing,
        "blockers": [] if recorded else infusion_blockers(visit.participant, visit),
        "preview": _planned_preview(visit, study),
    }
    return render(request, "dosing/infusion.html", context, status=form_status(form, invalid=400))


def dose_check_of(visit: Visit, study: Study, administered_cells: int | None) -> dict:
    """The typed dose against the planned one, by the rules in dose.py (what the save will decide)."""
    preview = _planned_preview(visit, study)
    if preview is None:
        return {"state": "no_weight", "message": _("No pre-infusion weight yet: the planned dose is not known.")}
    if administered_cells is None:
        return {"state": "empty", "message": ""}
    planned, tolerance = preview["planned_cells"], study.dose_tolerance_percent
    values = {
        "administered": grouped(administered_cells),
        "planned": grouped(planned),
        "low": grouped(preview["low"]),
        "high": grouped(preview["high"]),
        "tolerance": tolerance,
    }
    if dose.is_dose_deviation(planned, administered_cells, tolerance):
        message = _(
            "%(administered)s cells is outside ±%(tolerance)s %% of the planned %(planned)s cells "
            "(%(low)s to %(high)s): check the number; a deviation reason will be required."
        )
        return {"state": "deviation", "message": message % values}
    return {"state": "ok", "message": _("%(administered)s cells: within ±%(tolerance)s %% of the plan.") % values}


@require_POST
@requires(Cap.ENTER_DATA)
def dose_check(request: HttpRequest, screening_number: str, visit_code: str) -> JsonResponse:
    """Live check of the typed dose (no save): the infusion page shows its message before submit."""
    visit = visit_or_404(screening_number, visit_code)
    try:
        cells = MillionCellsField(required=False).clean(request.POST.get("administered_cells", ""))
    except ValidationError as error:
        return JsonResponse({"state": "invalid", "message": " ".join(error.messages)})
    return JsonResponse(dose_check_of(visit, Study.current(), cells))
