from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from labs.forms import LabPanelForm, LabResultForm, NormalRangeForm
from labs.models import LabResult, NormalRange
from labs.services import lab_panel_record, lab_result_record, normal_range_add
from subjects.models import Participant
from trialsite.access import requires
from trialsite.audit import EditConflict
from trialsite.forms import form_status, show_errors
from trialsite.roles import Cap, has_cap


def _participant_url(participant) -> str:
    from django.urls import reverse

    return reverse("subjects:detail", args=[participant.screening_number]) + "#labs"


@requires(Cap.ENTER_DATA)
def panel_new(request: HttpRequest, screening_number: str) -> HttpResponse:
    """Enter a laboratory panel: its visit, collection time and the results of the tests done."""
    participant = get_object_or_404(Participant, screening_number=screening_number)
    form = LabPanelForm(
        request.POST or None,
        initial={"visit_code": request.GET.get("visit", "SCR")},
        may_judge=has_cap(request.user, Cap.SIGN_OFF),
    )
    if request.method == "POST" and form.is_valid():
        try:
            panel = lab_panel_record(
                participant=participant,
                user=request.user,
                visit_code=form.cleaned_data["visit_code"],
                collected_at=form.cleaned_data["collected_at"],
                results=form.results(),
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("Laboratory panel %(visit)s saved.") % {"visit": panel.visit_code})
            return redirect(_participant_url(participant))
    context = {"participant": participant, "form": form}
    return render(request, "labs/panel_form.html", context, status=form_status(form, invalid=400))


@requires(Cap.ENTER_DATA)
def result_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct one result, or judge its clinical significance (a reason for change is required)."""
    result = get_object_or_404(LabResult.objects.select_related("participant", "panel"), pk=pk)
    form = LabResultForm(request.POST or None, record=result, may_judge=has_cap(request.user, Cap.SIGN_OFF))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            lab_result_record(
                participant=result.participant,
                user=request.user,
                test_code=result.test_code,
                value=data["value"],
                unit=data["unit"],
                not_done_reason=data["not_done_reason"],
                clinically_significant=data["clinically_significant"],
                result=result,
                reason=data["reason_for_change"],
                expected_version=form.expected_version,
            )
        except EditConflict as conflict:
            form.show_conflict(conflict=conflict)
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("Result corrected."))
            return redirect(_participant_url(result.participant))
    context = {"participant": result.participant, "result": result, "form": form}
    return render(request, "labs/result_edit.html", context, status=form_status(form, invalid=400))


@requires(Cap.VIEW_CLINICAL)
def normal_ranges(request: HttpRequest) -> HttpResponse:
    """The site's normal ranges (study configuration); a study configurator adds one."""
    may_configure = has_cap(request.user, Cap.CONFIGURE_STUDY)
    form = NormalRangeForm(request.POST or None)
    if request.method == "POST":
        if not may_configure:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                normal_range_add(user=request.user, reason=data.pop("reason_for_change"), **data)
            except ValidationError as error:
                show_errors(form, error)
            else:
                messages.success(request, _("Normal range added; results re-derived."))
                return redirect("labs:normal_ranges")
    context = {"ranges": NormalRange.objects.all(), "form": form, "may_configure": may_configure}
    return render(request, "labs/normal_ranges.html", context, status=form_status(form, invalid=400))
