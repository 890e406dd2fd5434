from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from datamanagement import services
from datamanagement.api.serializers import thread_of
from datamanagement.forms import LockForm, QueryActionForm, QueryFilterForm, QueryRaiseForm
from datamanagement.listing import filter_queries, queries_csv
from datamanagement.models import ACTIVE_QUERY_STATES, Lock, LockScope, Query, QueryState
from datamanagement.progress import participant_states, record_states, visit_progress
from datamanagement.records import record_get, record_type_named
from subjects.models import Participant, Visit
from trialsite.access import requires
from trialsite.filters import filters_from
from trialsite.forms import show_errors
from trialsite.records import participant_of
from trialsite.roles import Cap, has_cap

PAGE_SIZE = 50
# Who may do what to a query, by action.
ACTION_CAPS = {
    "answer": Cap.ANSWER_QUERY,
    "close": Cap.RAISE_QUERY,
    "cancel": Cap.RAISE_QUERY,
    "reopen": Cap.RAISE_QUERY,
}
SDV_VIEWERS = (Cap.VERIFY_SOURCE, Cap.RAISE_QUERY, Cap.LOCK_DATA)


@requires(Cap.RAISE_QUERY, Cap.ANSWER_QUERY)
def query_list(request: HttpRequest) -> HttpResponse:
    filters, status = filters_from(request, QueryFilterForm)
    params = filters.cleaned_data if status == 200 else {}
    queries = Query.objects.all() if status == 200 else Query.objects.none()
    state = params.get("state")
    if not state:
        queries = queries.filter(state__in=ACTIVE_QUERY_STATES)
    params = {
        k: v for k, v in params.items() if k != "page" and v not in (None, "") and not (k == "state" and v == "all")
    }
    queries = filter_queries(queries, params)
    if request.GET.get("format") == "csv" and status == 200:
        if not has_cap(request.user, Cap.RAISE_QUERY):
            raise PermissionDenied
        response = HttpResponse(queries_csv(queries), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="queries.csv"'
        return response
    page = Paginator(queries, PAGE_SIZE).get_page(filters.cleaned_data.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"filters": filters, "page": page, "query": query.urlencode()}
    return render(request, "datamanagement/query_list.html", context, status=status)


@requires(Cap.RAISE_QUERY)
def query_new(request: HttpRequest, record_type: str, record_id: int) -> HttpResponse:
    try:
        rt = record_type_named(record_type)
        record = record_get(record_type, record_id)
    except ValidationError:
        raise PermissionDenied from None
    choices = [
        (f.name, str(f.verbose_name)) for f in rt.model_class()._meta.concrete_fields if f.editable and f.name != "id"
    ]
    form = QueryRaiseForm(request.POST or None, field_choices=choices, initial={"field": request.GET.get("field", "")})
    if request.method == "POST" and form.is_valid():
        try:
            query = services.query_raise(
                user=request.user,
                record_type=record_type,
                record_id=record_id,
                field=form.cleaned_data["field"],
                text=form.cleaned_data["text"],
                assignee=form.cleaned_data["assignee"],
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("Query %(id)s raised.") % {"id": query.pk})
            return redirect("datamanagement:query", query_id=query.pk)
    context = {"form": form, "record": record, "record_type": record_type, "participant": participant_of(record)}
    return render(request, "datamanagement/query_new.html", context)


@requires(Cap.RAISE_QUERY, Cap.ANSWER_QUERY)
def query_detail(request: HttpRequest, query_id: int) -> HttpResponse:
    query = get_object_or_404(
        Query.objects.select_related("participant", "visit", "raised_by", "assignee"), pk=query_id
    )
    form = QueryActionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        action = form.cleaned_data["action"]
        if not has_cap(request.user, ACTION_CAPS[action]):
            raise PermissionDenied
        try:
            services.query_transition(query=query, user=request.user, action=action, text=form.cleaned_data["text"])
        except ValidationError as error:
            show_errors(form, error)
        else:
            done = {
                "answer": _("Query %(id)s answered."),
                "close": _("Query %(id)s closed."),
                "cancel": _("Query %(id)s cancelled."),
                "reopen": _("Query %(id)s re-opened."),
            }[action]
            messages.success(request, done % {"id": query.pk})
            return redirect("datamanagement:query", query_id=query.pk)
    allowed = [
        action
        for action, (starts, _to) in services.TRANSITIONS.items()
        if query.state in starts and has_cap(request.user, ACTION_CAPS[action])
    ]
    # The API's thread keeps the codes ("open", "system"); the page names them in the reader's language.
    thread = [
        {
            **event,
            "state_label": QueryState(event["state"]).label,
            "user_shown": _("system") if event["user"] == "system" else event["user"],
        }
        for event in thread_of(query)
    ]
    context = {"query": query, "thread": thread, "form": form, "actions": allowed}
    return render(request, "datamanagement/query_detail.html", context, status=400 if form.errors else 200)


@requires(*SDV_VIEWERS)
def sdv_overview(request: HttpRequest) -> HttpResponse:
    participants = list(Participant.objects.order_by("screening_seq"))
    states = participant_states([p.pk for p in participants])
    rows = [(p, states[p.pk]) for p in participants]
    database_lock = services.lock_find(scope=LockScope.DATABASE)
    return render(request, "datamanagement/sdv_overview.html", {"rows": rows, "database_lock": database_lock})


@requires(*SDV_VIEWERS)
def sdv_participant(request: HttpRequest, screening_number: str) -> HttpResponse:
    participant = get_object_or_404(Participant, screening_number=screening_number)
    if request.method == "POST":
        if not has_cap(request.user, Cap.VERIFY_SOURCE):
            raise PermissionDenied
        visit = get_object_or_404(participant.visits, visit_code=request.POST.get("visit", ""))
        marks = services.sdv_verify_visit(user=request.user, visit=visit)
        done = ngettext("%(n)s record of %(visit)s verified.", "%(n)s records of %(visit)s verified.", len(marks))
        messages.success(request, done % {"n": len(marks), "visit": visit.visit_code})
        return redirect("datamanagement:sdv_participant", screening_number=screening_number)
    visits = list(participant.visits.order_by("visitnum"))
    progress = visit_progress(participant.pk)
    locked = set(
        Lock.objects.filter(active=True, scope=LockScope.VISIT, visit__in=visits).values_list("visit_id", flat=True)
    )
    rows = [(visit, progress.get(visit.pk, {}), visit.pk in locked) for visit in visits]
    pending = [r for r in record_states([participant.pk]) if r.state != "verified"]
    context = {
        "participant": participant,
        "rows": rows,
        "unvisited": progress.get(None, {}),
        "pending": pending,
        "can_verify": has_cap(request.user, Cap.VERIFY_SOURCE),
    }
    return render(request, "datamanagement/sdv_participant.html", context)


def _lock_or_unlock(request: HttpRequest, *, scope: str, label: str, **target) -> None:
    form = LockForm(request.POST)
    if not form.is_valid():
        return
    try:
        if form.cleaned_data["action"] == "lock":
            services.lock_create(
                user=request.user,
                scope=scope,
                reason=form.cleaned_data["reason"],
                override_open_queries=form.cleaned_data["override_open_queries"],
                **target,
            )
            messages.success(request, _("%(what)s is locked.") % {"what": label})
        else:
            lock = services.lock_find(scope=scope, **target)
            if lock is not None:
                services.lock_release(lock=lock, user=request.user, reason=form.cleaned_data["reason"])
                messages.success(request, _("%(what)s is unlocked.") % {"what": label})
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)


@require_POST
@requires(Cap.LOCK_DATA)
def participant_lock(request: HttpRequest, screening_number: str) -> HttpResponse:
    participant = get_object_or_404(Participant, screening_number=screening_number)
    _lock_or_unlock(request, scope=LockScope.PARTICIPANT, label=_("The casebook"), participant=participant)
    return redirect("subjects:detail", screening_number=screening_number)


@require_POST
@requires(Cap.LOCK_DATA)
def visit_lock(request: HttpRequest, screening_number: str, visit_code: str) -> HttpResponse:
    visit = get_object_or_404(Visit, participant__screening_number=screening_number, visit_code=visit_code)
    _lock_or_unlock(request, scope=LockScope.VISIT, label=_("Visit %(code)s") % {"code": visit_code}, visit=visit)
    return redirect("datamanagement:sdv_participant", screening_number=screening_number)


@require_POST
@requires(Cap.LOCK_DATA)
def database_lock(request: HttpRequest) -> HttpResponse:
    _lock_or_unlock(request, scope=LockScope.DATABASE, label=_("The database"))
    return redirect("datamanagement:sdv")
