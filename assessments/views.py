from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessments import pasi
from assessments.efficacy import efficacy, region_subtotals
from assessments.forms import PasiForm
from assessments.models import PasiAssessment
from assessments.services import pasi_save, region_scores
from subjects.flow import after_save
from subjects.views import visit_or_404
from trialsite.access import requires
from trialsite.forms import form_status, submit
from trialsite.roles import Cap, has_cap


@requires(Cap.VIEW_CLINICAL)
def pasi_entry(request: HttpRequest, screening_number: str, visit_code: str) -> HttpResponse:
    """See the PASI of a visit; a data-entry role records or corrects it (with a reason)."""
    visit = visit_or_404(screening_number, visit_code)
    assessment = PasiAssessment.objects.filter(visit=visit).first()
    can_enter = has_cap(request.user, Cap.ENTER_DATA)
    if request.method == "POST":
        if not can_enter:
            raise PermissionDenied
        form = PasiForm(request.POST, record=assessment)
        saved = submit(
            form,
            lambda: pasi_save(
                visit=visit,
                user=request.user,
                assessment_date=form.cleaned_data.get("assessment_date"),
                bsa_percent=form.cleaned_data.get("bsa_percent"),
                regions=form.regions(),
                reason=form.cleaned_data.get("reason_for_change") or None,
                expected_version=form.expected_version,
            ),
        )
        if saved is not None:
            messages.success(
                request, _("PASI at %(visit)s saved: %(pasi)s.") % {"visit": visit.visit_code, "pasi": saved.pasi_total}
            )
            return redirect(after_save(request.POST, visit.participant, visit.visit_code, "pasi_assessment"))
    else:
        form = PasiForm(record=assessment)
    participant = visit.participant
    context = {
        "visit": visit,
        "participant": participant,
        "assessment": assessment,
        "form": form,
        "can_enter": can_enter,
        "subtotals": region_subtotals(assessment) if assessment else None,
        "efficacy": efficacy(participant.baseline_pasi, assessment.pasi_total, visit.visit_code)
        if assessment
        else None,
        "after_baseline": pasi.is_after_baseline(visit.visit_code),
    }
    return render(request, "assessments/pasi_form.html", context, status=form_status(form, invalid=400))


def _lenient_int(raw: str):
    raw = (raw or "").strip()
    if not raw:
        return None
    return int(raw) if raw.isdigit() else raw


@require_POST
@requires(Cap.ENTER_DATA)
def pasi_preview(request: HttpRequest) -> JsonResponse:
    """Region subtotals and PASI of a half-filled form, by the same rules the save uses (no save)."""
    entered = {
        region: {
            **{item: _lenient_int(request.POST.get(f"{region}_{item}")) for item in pasi.ITEMS},
            "area_percent": (request.POST.get(f"{region}_area_percent") or "").strip() or None,
            "area_score": _lenient_int(request.POST.get(f"{region}_area_score")),
        }
        for region in pasi.REGIONS
    }
    scores, _percents, errors = region_scores(entered)
    total = pasi.pasi_total(scores)
    return JsonResponse(
        {
            "regions": {
                region: {"area_score": score.area_score, "subtotal": str(pasi.region_subtotal(region, score))}
                for region, score in scores.items()
            },
            "pasi_total": str(total) if total is not None else None,
            "errors": {field: messages for field, messages in errors.items() if field not in pasi.REGIONS},
        }
    )
