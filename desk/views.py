from django import forms
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from desk.status import FORM_LABELS, FORM_STATES, status_grid
from desk.todo import todo_sections
from subjects.api.views import search_participants
from subjects.forms import ParticipantFilterForm
from subjects.models import Participant
from trialsite.access import requires
from trialsite.filters import filters_from
from trialsite.roles import Cap, has_cap

GRID_PAGE_SIZE = 100


class GridFilterForm(ParticipantFilterForm):
    visit = forms.ChoiceField(required=False, label=_("Visit"))

    def __init__(self, *args, codes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visit"].choices = [("", _("All visits"))] + [(code, code) for code in codes]


@requires(Cap.VIEW_CLINICAL)
@transaction.non_atomic_requests  # it only reads: BEGIN and COMMIT would be two more statements
def grid(request: HttpRequest) -> HttpResponse:
    """Participants × visits × forms, each form's state as an icon linking to the form."""
    definitions = list(request.study.visit_definitions.order_by("visitnum"))
    filters, status = filters_from(request, GridFilterForm, codes=[d.code for d in definitions])
    participants = Participant.objects.select_related("screening").order_by("screening_seq")
    if status == 200:
        participants = search_participants(participants, filters.cleaned_data["q"])
        if filters.cleaned_data["status"]:
            participants = participants.filter(status=filters.cleaned_data["status"])
        if filters.cleaned_data["visit"]:
            definitions = [d for d in definitions if d.code == filters.cleaned_data["visit"]]
    else:
        participants = participants.none()
    page = Paginator(participants, GRID_PAGE_SIZE).get_page(filters.cleaned_data.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filters": filters,
        "page": page,
        "definitions": definitions,
        "rows": status_grid(list(page.object_list), definitions, entry=has_cap(request.user, Cap.ENTER_DATA)),
        "states": FORM_STATES,
        "form_labels": FORM_LABELS,
        "query": query.urlencode(),
    }
    return render(request, "desk/grid.html", context, status=status)


@requires(Cap.SIGN_OFF, Cap.RELEASE_HOLD)
@transaction.non_atomic_requests  # it only reads: BEGIN and COMMIT would be two more statements
def todo(request: HttpRequest) -> HttpResponse:
    """What waits for an investigator: sign-offs, causality, SAE reports, holds."""
    return render(request, "desk/todo.html", {"sections": todo_sections(request.user, request.study)})
