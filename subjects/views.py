"""Coordinator screens: participant list and page, registration, screening, sign-off,
enrollment, withdrawal, visits and the study configuration. Thin: parse, call the service, render."""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from signatures.models import Meaning
from signatures.services import signatures_of
from subjects import eligibility, flow, schedule, services
from subjects.api.views import search_participants
from subjects.forms import (
    ParticipantFilterForm,
    RegistrationForm,
    ScreeningForm,
    SignoffForm,
    StudyForm,
    VisitForm,
    WithdrawForm,
)
from subjects.models import Participant, ParticipantStatus, Screening, Study, Visit, VisitStatus
from trialsite.access import requires
from trialsite.audit import EditConflict
from trialsite.filters import filters_from
from trialsite.forms import form_status, show_errors, submit
from trialsite.roles import Cap, has_cap

PAGE_SIZE = 25


def _participant(screening_number: str) -> Participant:
    return get_object_or_404(Participant.objects.select_related("screening"), screening_number=screening_number)


def visit_or_404(screening_number: str, visit_code: str) -> Visit:
    """A participant's visit with its participant, for the visit pages of every app."""
    return get_object_or_404(
        Visit.objects.select_related("participant"),
        participant__screening_number=screening_number,
        visit_code=visit_code,
    )


# The only visits next_action can name (it skips SCR and recorded or not-done visits), with the fields
# it reads: one query for the page, a handful of rows per participant instead of all seven.
_OPEN_VISITS = (
    Visit.objects.filter(actual_date__isnull=True, not_done_reason="")
    .exclude(visit_code="SCR")
    .order_by("participant_id", "visitnum")
    .only("participant_id", "visit_code", "visitnum", "window_start", "window_end", "actual_date", "not_done_reason")
)


@requires(Cap.VIEW_CLINICAL)
def participant_list(request: HttpRequest) -> HttpResponse:
    filters, status = filters_from(request, ParticipantFilterForm)
    participants = (
        Participant.objects.select_related("screening")
        .prefetch_related(Prefetch("visits", queryset=_OPEN_VISITS, to_attr="open_visits"))
        .order_by("screening_seq")
    )
    if status == 200:
        participants = search_participants(participants, filters.cleaned_data["q"])
        if filters.cleaned_data["status"]:
            participants = participants.filter(status=filters.cleaned_data["status"])
    else:
        participants = participants.none()
    page = Paginator(participants, PAGE_SIZE).get_page(filters.cleaned_data.get("page"))
    screening_now = [p for p in page.object_list if p.status == ParticipantStatus.SCREENING]
    signed = services.eligibility_signed_participants(screening_now) if screening_now else set()
    rows = [(p, services.next_action(p, visits=p.open_visits, signed_off=p.pk in signed)) for p in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "subjects/list.html",
        {"filters": filters, "page": page, "rows": rows, "query": query.urlencode()},
        status=status,
    )


@requires(Cap.ENTER_DATA)
def participant_register(request: HttpRequest) -> HttpResponse:
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and (
        participant := submit(form, lambda: services.participant_register(user=request.user, **form.values))
    ):
        messages.success(request, _("Registered %(number)s.") % {"number": participant.screening_number})
        return redirect("subjects:screening", screening_number=participant.screening_number)
    return render(request, "subjects/register.html", {"form": form})


@requires(Cap.ENTER_DATA)
def participant_edit(request: HttpRequest, screening_number: str) -> HttpResponse:
    participant = _participant(screening_number)
    form = RegistrationForm(request.POST or None, record=participant)
    if request.method == "POST" and submit(
        form,
        lambda: services.participant_update(
            participant=participant,
            user=request.user,
            reason=form.reason,
            expected_version=form.expected_version,
            **form.values,
        ),
    ):
        messages.success(request, _("Registration data corrected."))
        return redirect("subjects:detail", screening_number=screening_number)
    return render(request, "subjects/edit.html", {"form": form, "participant": participant}, status=form_status(form))


@dataclass
class TimelineRow:
    visit: Visit
    study_day: int | None
    state: str
    state_label: str
    left: float
    width: float
    actual_left: float | None


def _timeline(visits: list[Visit], day1: date | None, today: date) -> dict:
    """Rows positioned on one date axis (percentages) so windows and today line up."""
    if not visits:
        return {"rows": [], "today_left": None}
    dates = [d for v in visits for d in (v.window_start, v.window_end, v.actual_date) if d]
    start, end = min(dates + [today]), max(dates + [today])
    span = max((end - start).days + 1, 1)

    def pos(on: date) -> float:
        return round((on - start).days * 100 / span, 2)

    rows = [
        TimelineRow(
            visit=v,
            study_day=schedule.study_day(v.actual_date or v.target_date, day1)
            if (v.actual_date or v.target_date)
            else None,
            state=v.state_on(today),
            state_label=VisitStatus(v.state_on(today)).label,
            left=pos(v.window_start),
            width=round(((v.window_end - v.window_start).days + 1) * 100 / span, 2),
            actual_left=pos(v.actual_date) if v.actual_date else None,
        )
        for v in visits
    ]
    return {"rows": rows, "today_left": round(((today - start).days + 0.5) * 100 / span, 2), "start": start, "end": end}


@requires(Cap.VIEW_CLINICAL)
@transaction.non_atomic_requests  # it only reads: BEGIN and COMMIT would be two more statements
def participant_detail(request: HttpRequest, screening_number: str) -> HttpResponse:
    """The participant page in a constant number of queries, whatever the amount of data: the visits
    are fetched once (services.page_visits) and the study once, and both are handed to the other apps'
    includes, whose tags use them instead of querying again; the participant's row carries the columns
    those apps ask for (settings.PARTICIPANT_PAGE_COLUMNS: the data-management state)."""
    columns = {}
    for path in settings.PARTICIPANT_PAGE_COLUMNS:
        columns.update(import_string(path)())
    participant = get_object_or_404(
        Participant.objects.select_related("screening").annotate(**columns),
        screening_number=screening_number,
    )
    screening = services.screening_of(participant)
    visits = services.page_visits(participant)
    study = request.study
    today = services.site_today(study)
    signatures = signatures_of(participant)
    signoff = next(
        (sig for sig in signatures if sig.meaning == Meaning.ELIGIBILITY and sig.valid and screening is not None),
        None,
    )
    failed = services.criterion_labels(screening.failed_criteria if screening else [])
    context = {
        "participant": participant,
        "study": study,
        "screening": screening,
        "failed_labels": failed,
        "visits": visits,
        "timeline": _timeline(visits, participant.day1_date, today),
        "today": today,
        "today_study_day": schedule.study_day(today, participant.day1_date),
        "age": (
            eligibility.age_in_completed_years(participant.date_of_birth, screening.screening_date)
            if screening
            else None
        ),
        "next_action": services.next_action(participant, visits=visits, signed_off=signoff is not None),
        "signoff": signoff,
        "signatures": signatures,
        "can_enroll": (
            participant.status == ParticipantStatus.SCREENING
            and screening is not None
            and screening.eligible
            and signoff is not None
        ),
        "can_sign": screening is not None
        and screening.eligible
        and signoff is None
        and (
            participant.status == ParticipantStatus.SCREENING
            or any(sig.meaning == Meaning.ELIGIBILITY for sig in signatures)
        ),
    }
    return render(request, "subjects/detail.html", context)


@requires(Cap.ENTER_DATA)
def screening_edit(request: HttpRequest, screening_number: str) -> HttpResponse:
    participant = _participant(screening_number)
    screening = services.screening_of(participant)
    form = ScreeningForm(request.POST or None, record=screening)
    if request.method == "POST" and submit(
        form,
        lambda: services.screening_save(
            participant=participant,
            user=request.user,
            reason=form.reason,
            expected_version=form.expected_version,
            **form.values,
        ),
    ):
        messages.success(request, _("Screening saved; eligibility evaluated."))
        return redirect(flow.after_save(request.POST, participant, "SCR", "screening"))
    result = None
    if screening is not None:
        result = eligibility.EligibilityResult(screening.eligible, tuple(screening.failed_criteria))
    context = {
        "form": form,
        "participant": participant,
        "screening": screening,
        "result": result,
        "failed_labels": services.criterion_labels(result.failed if result else ()),
    }
    return render(
        request,
        "subjects/screening.html",
        context,
        status=form_status(form),
    )


@requires(Cap.ENTER_DATA)
@require_POST
def screening_preview(request: HttpRequest, screening_number: str) -> JsonResponse:
    """Live eligibility for the unsaved screening form: the one rule in eligibility.py, as JSON."""
    participant = _participant(screening_number)
    form = ScreeningForm(request.POST, record=None)
    result = services.screening_preview(participant=participant, values=form.preview_values())
    if result is None:
        return JsonResponse({"eligible": None, "failed": [], "message": _("Enter the screening date to evaluate.")})
    labels = services.criterion_labels(result.failed)
    return JsonResponse(
        {
            "eligible": result.eligible,
            "failed": [{"name": n, "label": label} for n, label in zip(result.failed, labels, strict=True)],
            "message": "",
        }
    )


@requires(Cap.SIGN_OFF)
def eligibility_signoff(request: HttpRequest, screening_number: str) -> HttpResponse:
    participant = _participant(screening_number)
    screening = get_object_or_404(Screening, participant=participant)
    form = SignoffForm(request.POST or None, record=screening)
    if request.method == "POST" and form.is_valid():
        try:
            services.eligibility_signoff(
                participant=participant,
                investigator=request.user,
                password=form.cleaned_data["password"],
                otp=form.cleaned_data.get("otp"),
                request=request,
                expected_version=form.expected_version,
            )
        except EditConflict as conflict:
            form.show_conflict(conflict=conflict)
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("Eligibility signed off: %(meaning)s") % {"meaning": Meaning.ELIGIBILITY.label})
            return redirect("subjects:detail", screening_number=screening_number)
    context = {
        "form": form,
        "participant": participant,
        "screening": screening,
        "signoff": services.eligibility_signature(screening),
        "meaning": Meaning.ELIGIBILITY.label,
        "failed_labels": services.criterion_labels(screening.failed_criteria),
    }
    return render(request, "subjects/signoff.html", context, status=form_status(form))


@requires(Cap.ENTER_DATA)
def participant_enroll(request: HttpRequest, screening_number: str) -> HttpResponse:
    """GET: what enrolment does, to confirm; POST: enrol (assigns the subject ID and the schedule)."""
    participant = _participant(screening_number)
    if request.method != "POST":
        return render(request, "subjects/enroll.html", {"participant": participant})
    try:
        participant = services.participant_enroll(participant=participant, user=request.user)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("Enrolled as %(subject)s.") % {"subject": participant.subject_label})
    return redirect("subjects:detail", screening_number=screening_number)


@requires(Cap.ENTER_DATA)
def participant_withdraw(request: HttpRequest, screening_number: str) -> HttpResponse:
    participant = _participant(screening_number)
    form = WithdrawForm(request.POST or None, record=participant)
    if request.method == "POST" and form.is_valid():
        try:
            services.participant_withdraw(
                participant=participant, user=request.user, expected_version=form.expected_version, **form.values
            )
        except EditConflict as conflict:
            form.show_conflict(conflict=conflict)
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("Participant withdrawn; the remaining visits are no longer expected."))
            return redirect("subjects:detail", screening_number=screening_number)
    context = {"form": form, "participant": participant}
    return render(request, "subjects/withdraw.html", context, status=form_status(form))


@requires(Cap.ENTER_DATA)
def visit_edit(request: HttpRequest, screening_number: str, visit_code: str) -> HttpResponse:
    participant = _participant(screening_number)
    visit = get_object_or_404(Visit, participant=participant, visit_code=visit_code)
    form = VisitForm(request.POST or None, record=visit)
    if request.method == "POST" and submit(
        form,
        lambda: services.visit_record(
            visit=visit,
            user=request.user,
            actual_date=form.cleaned_data.get("actual_date"),
            not_done_reason=form.cleaned_data.get("not_done_reason", ""),
            deviation_reason=form.cleaned_data.get("deviation_reason", ""),
            reason=form.reason,
            expected_version=form.expected_version,
        ),
    ):
        messages.success(request, _("Visit %(code)s recorded.") % {"code": visit.visit_code})
        return redirect(flow.after_save(request.POST, participant, visit.visit_code, "visit"))
    context = {"form": form, "participant": participant, "visit": visit}
    return render(request, "subjects/visit.html", context, status=form_status(form))


def _editable_study_fields(user) -> tuple[str, ...]:
    if has_cap(user, Cap.CONFIGURE_STUDY):
        return services.STUDY_FIELDS
    if has_cap(user, Cap.CHANGE_TARGET):
        return services.TARGET_ONLY_FIELDS
    return ()


@requires(Cap.VIEW_CLINICAL, Cap.CHANGE_TARGET, Cap.CONFIGURE_STUDY)
def study_config(request: HttpRequest) -> HttpResponse:
    study = Study.current()
    editable = _editable_study_fields(request.user)
    form = StudyForm(request.POST or None, instance=Study.current(), editable_fields=editable) if editable else None
    if request.method == "POST":
        if form is None:
            return HttpResponse(status=403)
        if form.is_valid():
            try:
                services.study_update(
                    user=request.user, reason=form.reason, expected_version=form.expected_version, **form.changes
                )
            except EditConflict as conflict:
                form.show_conflict(conflict=conflict)
            except ValidationError as error:
                show_errors(form, error)
            else:
                messages.success(request, _("Study configuration saved."))
                return redirect("subjects:study")
    values = [(Study._meta.get_field(name).verbose_name, getattr(study, name)) for name in services.STUDY_FIELDS]
    return render(
        request,
        "subjects/study.html",
        {
            "study": study,
            "values": values,
            "visit_definitions": list(study.visit_definitions.all()),
            "enrolled_count": services.enrolled_count(),
            "form": form,
        },
        status=form_status(form) if form is not None else 200,
    )
