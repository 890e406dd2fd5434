"""Browser views of the safety app: thin — parse with a form, call a service, render."""

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coding import services as coding
from coding.services import HIERARCHY_RELATED
from safety import dashboard as dmc
from safety import rules
from safety.ae_coding import adverse_event_code
from safety.clocks import with_clocks
from safety.coding_search import search_terms
from safety.cutoff import BeforeFirstConsent, Cutoff
from safety.forms import (
    AdverseEventFilterForm,
    AdverseEventForm,
    AssessmentForm,
    CodeForm,
    CodingQueueFilterForm,
    CutoffForm,
    HoldReleaseForm,
    ListingFilterForm,
    ReportedForm,
    TermSearchForm,
    first_consent_error,
)
from safety.models import AdverseEvent, SafetyHold
from safety.services import (
    adverse_event_assess,
    adverse_event_record,
    adverse_event_update,
    sae_mark_reported,
    safety_hold_release,
)
from signatures.models import Meaning
from subjects.models import Participant, Study
from subjects.sitetime import site_today
from trialsite.access import requires
from trialsite.audit import EditConflict
from trialsite.filters import filters_from
from trialsite.forms import form_status, show_errors, submit
from trialsite.models import ExportLog
from trialsite.roles import Cap, has_cap
from trialsite.spreadsheet import spreadsheet_safe


@requires(Cap.VIEW_CLINICAL)
def ae_list(request: HttpRequest) -> HttpResponse:
    filters, status = filters_from(request, AdverseEventFilterForm)
    adverse_events = AdverseEvent.objects.select_related("participant").order_by(
        "participant__screening_seq", "ae_number"
    )
    participant = filters.cleaned_data.get("participant") if status == 200 else None
    if status != 200:
        adverse_events = adverse_events.none()
    if participant is not None:
        adverse_events = adverse_events.filter(participant=participant)
    if status == 200 and filters.cleaned_data["serious"]:
        adverse_events = adverse_events.filter(serious=filters.cleaned_data["serious"] == "yes")
    page = Paginator(adverse_events, 50).get_page(filters.cleaned_data.get("page"))
    with_clocks(page.object_list, Study.current())
    return render(request, "safety/ae_list.html", {"page": page, "participant": participant}, status=status)


@requires(Cap.ENTER_DATA)
def ae_create(request: HttpRequest, participant_pk: int) -> HttpResponse:
    participant = get_object_or_404(Participant, pk=participant_pk)
    may_assess = has_cap(request.user, Cap.SIGN_OFF)
    # A laboratory result that prompts an AE links here with term, grade and onset (labs.selectors).
    prefill = {name: request.GET[name] for name in ("term", "grade", "onset_date") if request.GET.get(name)}
    form = AdverseEventForm(request.POST or None, participant=participant, may_assess=may_assess, initial=prefill)
    if request.method == "POST" and (
        adverse_event := submit(
            form, lambda: adverse_event_record(participant=participant, user=request.user, **form.service_fields())
        )
    ):
        messages.success(
            request,
            _("AE %(number)s recorded for %(participant)s.")
            % {"number": adverse_event.ae_number, "participant": participant.display_id},
        )
        return redirect("safety:ae_detail", pk=adverse_event.pk)
    return render(request, "safety/ae_form.html", {"form": form, "participant": participant})


@requires(Cap.VIEW_CLINICAL)
def ae_detail(request: HttpRequest, pk: int) -> HttpResponse:
    adverse_event = get_object_or_404(
        AdverseEvent.objects.select_related("participant", "infusion", "causality_assessed_by"), pk=pk
    )
    with_clocks([adverse_event], Study.current())
    holds = adverse_event.safety_holds.select_related("released_by")
    return render(
        request,
        "safety/ae_detail.html",
        {
            "ae": adverse_event,
            "participant": adverse_event.participant,
            "holds": holds,
            "reported_form": ReportedForm(record=adverse_event),
            "treatment_emergent": rules.is_treatment_emergent(
                adverse_event.onset_date, adverse_event.participant.day1_date
            ),
        },
    )


@requires(Cap.ENTER_DATA)
def ae_edit(request: HttpRequest, pk: int) -> HttpResponse:
    adverse_event = get_object_or_404(AdverseEvent.objects.select_related("participant"), pk=pk)
    participant = adverse_event.participant
    may_assess = has_cap(request.user, Cap.SIGN_OFF)
    form = AdverseEventForm(
        request.POST or None, instance=adverse_event, participant=participant, may_assess=may_assess
    )
    if request.method == "POST" and submit(
        form,
        lambda: adverse_event_update(
            adverse_event=adverse_event,
            user=request.user,
            reason=form.cleaned_data.get("reason_for_change"),
            expected_version=form.expected_version,
            **form.service_fields(),
        ),
    ):
        messages.success(request, _("AE %(number)s updated.") % {"number": adverse_event.ae_number})
        return redirect("safety:ae_detail", pk=adverse_event.pk)
    context = {"form": form, "participant": participant, "ae": adverse_event}
    return render(request, "safety/ae_form.html", context, status=form_status(form))


@requires(Cap.SIGN_OFF)
def ae_assess(request: HttpRequest, pk: int) -> HttpResponse:
    adverse_event = get_object_or_404(AdverseEvent.objects.select_related("participant"), pk=pk)
    form = AssessmentForm(request.POST or None, record=adverse_event)
    if request.method == "POST" and form.is_valid():
        try:
            adverse_event_assess(
                adverse_event=adverse_event,
                investigator=request.user,
                relationship=form.cleaned_data["relationship"],
                expected=form.cleaned_data["expected"],
                reason=form.cleaned_data["reason"],
                password=form.cleaned_data["password"],
                otp=form.cleaned_data["otp"],
                request=request,
                expected_version=form.expected_version,
            )
        except EditConflict as conflict:
            form.show_conflict(conflict=conflict)
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("Causality of AE %(number)s assessed.") % {"number": adverse_event.ae_number})
            return redirect("safety:ae_detail", pk=adverse_event.pk)
    with_clocks([adverse_event], Study.current())
    context = {
        "form": form,
        "ae": adverse_event,
        "meaning": Meaning.AE_CAUSALITY.label,
        "participant": adverse_event.participant,
        "treatment_emergent": rules.is_treatment_emergent(
            adverse_event.onset_date, adverse_event.participant.day1_date
        ),
    }
    return render(request, "safety/ae_assess.html", context, status=form_status(form))


@requires(Cap.ENTER_DATA)
@require_POST
def ae_report(request: HttpRequest, pk: int) -> HttpResponse:
    adverse_event = get_object_or_404(AdverseEvent, pk=pk)
    form = ReportedForm(request.POST, record=adverse_event)
    if form.is_valid():
        try:
            sae_mark_reported(
                adverse_event=adverse_event,
                user=request.user,
                reported_at=form.cleaned_data["reported_to_sponsor_at"],
                reason=form.cleaned_data["reason"],
                expected_version=form.expected_version,
            )
        except EditConflict as conflict:
            messages.error(
                request,
                _("%(conflict)s Nothing was saved: check the AE and enter the report again.")
                % {"conflict": conflict.describe()},
            )
        except ValidationError as error:
            for field_messages in error.message_dict.values():
                for message in field_messages:
                    messages.error(request, message)
        else:
            messages.success(request, _("Report to the sponsor recorded."))
    elif form.conflict is not None:
        messages.error(request, form.non_field_errors()[0])
    else:
        messages.error(request, _("Enter the date and time of the report to the sponsor."))
    return redirect("safety:ae_detail", pk=adverse_event.pk)


@requires(Cap.RELEASE_HOLD)
def hold_release(request: HttpRequest, pk: int) -> HttpResponse:
    hold = get_object_or_404(SafetyHold.objects.select_related("participant", "adverse_event"), pk=pk)
    form = HoldReleaseForm(request.POST or None, record=hold)
    if request.method == "POST" and form.is_valid():
        try:
            safety_hold_release(
                hold=hold,
                investigator=request.user,
                reason=form.cleaned_data["reason"],
                password=form.cleaned_data["password"],
                otp=form.cleaned_data["otp"],
                request=request,
                expected_version=form.expected_version,
            )
        except EditConflict as conflict:
            form.show_conflict(conflict=conflict)
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(
                request, _("Safety hold of %(participant)s released.") % {"participant": hold.participant.display_id}
            )
            return redirect("safety:ae_detail", pk=hold.adverse_event_id)
    return render(
        request,
        "safety/hold_release.html",
        {"form": form, "hold": hold, "meaning": Meaning.HOLD_RELEASE.label},
        status=form_status(form),
    )


@requires(Cap.VIEW_DASHBOARD)
@transaction.non_atomic_requests  # it only reads: BEGIN and COMMIT would be two more statements
def dashboard(request: HttpRequest) -> HttpResponse:
    """The dashboard as of today, or as of a data cut-off (?cutoff=YYYY-MM-DD); a cut-off that is not
    valid is shown beside its field, with the figures as of today (400)."""
    study = request.study
    form = CutoffForm(request.GET, study=study)
    valid = form.is_valid()
    cutoff = Cutoff.of(form.cleaned_data.get("cutoff") if valid else None, study)
    try:
        context = dmc.dashboard_data(study, cutoff=cutoff)
    except BeforeFirstConsent as refused:
        form.add_error("cutoff", first_consent_error(refused.first_consent))
        valid, cutoff = False, None
        context = dmc.dashboard_data(study)
    context.update(cutoff_form=form, **_cutoff_params(cutoff))
    return render(request, "safety/dashboard.html", context, status=200 if valid else 400)


def _cutoff_params(cutoff: Cutoff | None) -> dict:
    """The cut-off as it is carried by the links to the listings and their CSV."""
    if cutoff is None:
        return {"cutoff_and": "", "cutoff_only": ""}
    day = cutoff.day.isoformat()
    return {"cutoff_and": f"cutoff={day}&", "cutoff_only": f"?cutoff={day}"}


@requires(Cap.VIEW_DASHBOARD)
def listing(request: HttpRequest, name: str) -> HttpResponse:
    study = request.study
    filters, status = filters_from(request, ListingFilterForm, study=study)
    cutoff = Cutoff.of(filters.cleaned_data.get("cutoff") if status == 200 else None, study)
    result = dmc.listing(name, request.GET if status == 200 else {}, study, cutoff)
    if status != 200:
        result.rows, result.filters = [], {}
    page = Paginator(result.rows, 100).get_page(filters.cleaned_data.get("page"))
    if request.GET.get("format") == "csv" and status == 200:
        return _listing_csv(request, name, result, study, cutoff)
    if name in ("adverse-events", "signals"):
        dmc.add_clock(page.object_list, study, cutoff)
    rows = [dmc.listing_cells(row, result.columns) for row in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "safety/listing.html",
        {
            "listing": result,
            "page": page,
            "rows": rows,
            "name": name,
            "query": query.urlencode(),
            "cutoff": cutoff,
            **_cutoff_params(cutoff),
        },
        status=status,
    )


def _listing_csv(request: HttpRequest, name: str, result, study, cutoff: Cutoff | None) -> HttpResponse:
    """The whole listing (as filtered) as CSV: the table as the page shows it, every row, logged. A data
    cut-off is in the file name (dmc-NAME-cutoff-YYYY-MM-DD.csv); the content has the same shape."""
    if name in ("adverse-events", "signals"):
        dmc.add_clock(result.rows, study, cutoff)
    with translation.override(dmc.EXPORT_LANGUAGE):  # a file is the same in every language: English
        return _write_listing_csv(request, name, result, study, cutoff)


def _write_listing_csv(request: HttpRequest, name: str, result, study, cutoff: Cutoff | None) -> HttpResponse:
    ExportLog.objects.create(user=request.user, export=f"dmc-{name}.csv"[:60], query=request.GET.urlencode()[:500])
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = site_today(study).strftime("%Y%m%d") if cutoff is None else f"cutoff-{cutoff.day.isoformat()}"
    response["Content-Disposition"] = f'attachment; filename="dmc-{name}-{stamp}.csv"'
    writer = csv.writer(response)
    writer.writerow([spreadsheet_safe(label) for _key, label in result.columns])
    for row in result.rows:
        writer.writerow([spreadsheet_safe(value) for value, _badge in dmc.listing_cells(row, result.columns)])
    return response


CODED_RELATED = ["participant", *(f"coded_llt__{name}" for name in HIERARCHY_RELATED)]


@requires(Cap.CODE_TERMS)
def coding_queue(request: HttpRequest) -> HttpResponse:
    """The coding queue: AEs whose verbatim term is not coded to MedDRA yet (or all, with their coding)."""
    filters, status = filters_from(request, CodingQueueFilterForm)
    show_all = status == 200 and filters.cleaned_data.get("show") == "all"
    events = AdverseEvent.objects.select_related(*CODED_RELATED).order_by("participant__screening_seq", "ae_number")
    if status != 200:
        events = events.none()
    elif not show_all:
        events = events.filter(coded_llt__isnull=True)
    page = Paginator(events, 50).get_page(filters.cleaned_data.get("page"))
    context = {
        "page": page,
        "show_all": show_all,
        "release": coding.active_release(),
        "uncoded": AdverseEvent.objects.filter(coded_llt__isnull=True).count(),
    }
    return render(request, "safety/coding_queue.html", context, status=status)


@requires(Cap.CODE_TERMS)
def coding_ae(request: HttpRequest, pk: int) -> HttpResponse:
    """Code or re-code one AE: search the active release, pick a lowest level term, give a reason."""
    adverse_event = get_object_or_404(AdverseEvent.objects.select_related(*CODED_RELATED), pk=pk)
    search = TermSearchForm(request.GET or {"search": adverse_event.term})
    status = 200 if search.is_valid() else 400
    terms = search_terms(search.cleaned_data["search"]) if status == 200 else []
    form = CodeForm(request.POST or None, record=adverse_event)
    if request.method == "POST" and form.is_valid():
        try:
            adverse_event_code(
                adverse_event=adverse_event,
                llt_code=form.cleaned_data["llt_code"],
                user=request.user,
                reason=form.cleaned_data["reason_for_change"],
                expected_version=form.expected_version,
            )
        except EditConflict as conflict:
            form.show_conflict(conflict=conflict)
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(
                request,
                _("AE %(number)s of %(participant)s coded.")
                % {"number": adverse_event.ae_number, "participant": adverse_event.participant.display_id},
            )
            return redirect("safety:coding_queue")
    context = {
        "adverse_event": adverse_event,
        "hierarchy": coding.hierarchy(adverse_event.coded_llt) if adverse_event.coded_llt_id else None,
        "search": search,
        "terms": terms,
        "form": form,
        "release": coding.active_release(),
    }
    form_code = form_status(form, invalid=400)
    return render(request, "safety/coding_ae.html", context, status=form_code if form_code != 200 else status)
