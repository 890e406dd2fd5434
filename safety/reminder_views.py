"""The in-app reminder list of coordinators and investigators, with acknowledge per user."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safety import reminders
from safety.forms import SHOW_CHOICES, ReminderFilterForm
from safety.models import Reminder
from trialsite.access import requires
from trialsite.filters import filters_from
from trialsite.roles import Cap


@requires(Cap.VIEW_REMINDERS)
def reminder_list(request: HttpRequest) -> HttpResponse:
    filters, status = filters_from(request, ReminderFilterForm)
    show = (filters.cleaned_data.get("show") if status == 200 else None) or "open"
    kind = filters.cleaned_data.get("kind", "") if status == 200 else ""
    rows = reminders.reminders_for(request.user, acknowledged=SHOW_CHOICES[show], kind=kind or None)
    if status != 200:
        rows = []
    page = Paginator(rows, 50).get_page(filters.cleaned_data.get("page"))
    study = request.study
    for reminder in page.object_list:
        reminder.text = reminders.reminder_text(reminder, study)
    return render(
        request,
        "safety/reminders.html",
        {
            "page": page,
            "show": show,
            "kind": kind,
            "kinds": Reminder.Kind.choices,
            "filter_query": f"show={show}&kind={kind}",
        },
        status=status,
    )


@requires(Cap.VIEW_REMINDERS)
@require_POST
def reminder_acknowledge(request: HttpRequest, reminder_id: int) -> HttpResponse:
    reminder = get_object_or_404(Reminder, pk=reminder_id)
    reminders.reminder_acknowledge(reminder=reminder, user=request.user)
    messages.success(request, _("Reminder acknowledged."))
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(back)
    return redirect("reminders:list")
