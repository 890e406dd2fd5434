from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from deviations.forms import DeviationFilterForm, DeviationForm
from deviations.models import ProtocolDeviation, Source
from deviations.services import deviation_record
from subjects.models import Participant
from trialsite.access import requires
from trialsite.audit import EditConflict
from trialsite.filters import filters_from
from trialsite.forms import form_status, show_errors
from trialsite.roles import Cap


@requires(Cap.VIEW_CLINICAL)
def deviation_list(request: HttpRequest) -> HttpResponse:
    """The study's protocol deviation log, derived and recorded by hand, newest first."""
    filters, status = filters_from(request, DeviationFilterForm)
    deviations = ProtocolDeviation.objects.select_related("participant").order_by("-deviation_date", "-id")
    participant = filters.cleaned_data.get("participant") if status == 200 else None
    if status != 200:
        deviations = deviations.none()
    elif participant is not None:
        deviations = deviations.filter(participant=participant)
    page = Paginator(deviations, 50).get_page(filters.cleaned_data.get("page"))
    return render(request, "deviations/list.html", {"page": page, "participant": participant}, status=status)


def _edit(request, participant, record):
    form = DeviationForm(request.POST or None, record=record)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            deviation_record(
                participant=participant,
                user=request.user,
                category=data["category"],
                description=data["description"],
                deviation_date=data["deviation_date"],
                record=record,
                reason=data.get("reason_for_change"),
                expected_version=form.expected_version,
            )
        except EditConflict as conflict:
            form.show_conflict(conflict=conflict)
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("Protocol deviation saved."))
            return redirect(f"{reverse('deviations:list')}?participant={participant.screening_number}")
    context = {"participant": participant, "form": form, "record": record}
    return render(request, "deviations/form.html", context, status=form_status(form, invalid=400))


@requires(Cap.ENTER_DATA)
def deviation_new(request: HttpRequest, screening_number: str) -> HttpResponse:
    return _edit(request, get_object_or_404(Participant, screening_number=screening_number), None)


@requires(Cap.ENTER_DATA)
def deviation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(ProtocolDeviation.objects.select_related("participant"), pk=pk, source=Source.MANUAL)
    return _edit(request, record.participant, record)
