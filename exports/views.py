"""Browser pages for data management: the exports page, the audit trail and a participant's history."""

from dataclasses import dataclass

from django import forms
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from exports import audit, sdtm, trail_display
from exports.api.casebook import pdf_response
from exports.api.views import audit_filter_from
from exports.casebook import casebook_filename, casebook_pdf, casebooks_zip
from exports.trail_display import readable
from subjects.models import Participant
from subjects.sitetime import site_zone
from trialsite import chain
from trialsite.access import requires
from trialsite.filters import PageFilterForm, filters_from
from trialsite.models import AuditCheck
from trialsite.records import RECORD_TYPES
from trialsite.roles import Cap, has_cap

PAGE_SIZE = 50


@requires(Cap.EXPORT, Cap.EXPORT_SAFETY)
def exports(request: HttpRequest) -> HttpResponse:
    full = has_cap(request.user, Cap.EXPORT)
    datasets = [
        {"domain": key, "name": d.name, "label": d.label, "safety_variant": not full and bool(d.safety_hidden)}
        for key, d in sdtm.DATASETS.items()
        if full or d.safety
    ]
    context = {"datasets": datasets, "full": full, "can_audit": has_cap(request.user, Cap.VIEW_AUDIT)}
    return render(request, "exports/exports.html", context)


class AuditFilterForm(PageFilterForm):
    participant = forms.CharField(required=False, max_length=12, label=_("Participant (screening number)"))
    user = forms.CharField(required=False, max_length=150, label=_("User"))
    model = forms.ChoiceField(required=False, label=_("Model"))
    date_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label=_("Date from"))
    date_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label=_("Date to"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The value stays the model label (as in the API and the CSV); people read the form's name.
        self.fields["model"].choices = [("", _("All records"))] + [
            (label, capfirst(model._meta.verbose_name)) for label, model in sorted(audit.audited_models().items())
        ]


@dataclass(frozen=True)
class TrailPage:
    """A page of the audit trail without a total: counting a UNION of every history table costs more
    than the rest of the page, so one row beyond the page tells whether an older page exists."""

    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1


def _page(number: int | None, audit_filter, study) -> tuple[TrailPage, list]:
    number = number or 1
    start = (number - 1) * PAGE_SIZE
    queryset = audit.trail_queryset(audit_filter, first=start + PAGE_SIZE + 1)
    items = [] if queryset is None else list(queryset[start : start + PAGE_SIZE + 1])
    rows = readable(audit.resolve_rows(items[:PAGE_SIZE]), site_zone(study))
    return TrailPage(number, has_next=len(items) > PAGE_SIZE), rows


@requires(Cap.VIEW_AUDIT)
@transaction.non_atomic_requests  # it only reads: BEGIN and COMMIT would be two more statements
def audit_trail(request: HttpRequest) -> HttpResponse:
    form, status = filters_from(request, AuditFilterForm)
    head = chain.head()
    if status == 200:
        zone = site_zone(request.study).key
        audit_filter = audit_filter_from(form.cleaned_data, tz=zone, up_to_position=head.position)
    else:
        audit_filter = audit.AuditFilter(empty=True)  # invalid filters show nothing rather than everything
    page, rows = _page(form.cleaned_data.get("page"), audit_filter, request.study)
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "rows": rows, "query": query.urlencode(), "page_size": PAGE_SIZE}
    context.update(chain_head=head, last_check=AuditCheck.objects.first())
    return render(request, "exports/audit_trail.html", context, status=status)


@requires(Cap.VIEW_AUDIT)
@transaction.non_atomic_requests  # it only reads: BEGIN and COMMIT would be two more statements
def participant_history(request: HttpRequest, screening_number: str) -> HttpResponse:
    participant = get_object_or_404(Participant, screening_number=screening_number)
    form, status = filters_from(request, PageFilterForm)
    audit_filter = audit.AuditFilter(
        participant_id=participant.id, tz=site_zone(request.study).key, newest_first=False, empty=status != 200
    )
    page, rows = _page(form.cleaned_data.get("page"), audit_filter, request.study)
    context = {"participant": participant, "page": page, "rows": rows}
    return render(request, "exports/participant_history.html", context, status=status)


@requires(Cap.VIEW_CLINICAL)
def casebook(request: HttpRequest, screening_number: str) -> HttpResponse:
    participant = get_object_or_404(Participant, screening_number=screening_number)
    return pdf_response(casebook_pdf(participant), casebook_filename(participant))


@requires(Cap.EXPORT)
def casebooks(request: HttpRequest) -> HttpResponse:
    """Every participant's casebook in one ZIP (data managers)."""
    filename = f"casebooks-{request.study.study_id}.zip"
    return pdf_response(casebooks_zip(), filename, content_type="application/zip")


@requires(Cap.VIEW_CLINICAL)
def field_history(request: HttpRequest, record_type: str, pk: int, field_name: str) -> HttpResponse:
    """The changes of one field of one record (the history icon beside a form's field): who, when, why."""
    if record_type not in RECORD_TYPES:
        raise Http404
    model = RECORD_TYPES[record_type].model_class()
    field = trail_display.model_field(model, field_name)
    if field is None or field.name in audit.HIDDEN_FIELDS:
        raise Http404
    record = get_object_or_404(model, pk=pk)
    form, status = filters_from(request, PageFilterForm)
    changes = trail_display.field_changes(model, pk, field)
    page = Paginator(changes, PAGE_SIZE).get_page(form.cleaned_data.get("page"))
    context = {"record": record, "field": field, "page": page, "record_type": record_type}
    return render(request, "exports/field_history.html", context, status=status)
