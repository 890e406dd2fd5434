from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import yesno
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from medications.forms import ConcomitantMedicationForm, MedicalHistoryForm, WashoutOverrideForm, seen_versions
from medications.models import ConcomitantMedication, MedicalHistory, WashoutOverride
from medications.services import cm_record, mh_record, washout_derived, washout_override_set
from subjects.models import Participant
from trialsite.access import requires
from trialsite.audit import EditConflict
from trialsite.forms import form_status, show_errors
from trialsite.roles import Cap


def _back(participant) -> str:
    return reverse("subjects:detail", args=[participant.screening_number]) + "#medications"


def _edit(request, participant, record):
    form = ConcomitantMedicationForm(request.POST or None, record=record)
    if request.method == "POST" and form.is_valid():
        try:
            saved = cm_record(
                participant=participant,
                user=request.user,
                record=record,
                reason=form.cleaned_data.get("reason_for_change"),
                expected_version=form.expected_version,
                **form.values(),
            )
        except EditConflict as conflict:
            form.show_conflict(conflict=conflict)
        except ValidationError as error:
            show_errors(form, error)
        else:
            if saved.deviation_due:
                messages.warning(
                    request,
                    _("%(m)s is prohibited (%(r)s): a protocol deviation is recorded and the investigator notified.")
                    % {"m": saved.medication, "r": saved.get_prohibited_reason_display()},
                )
            else:
                messages.success(request, _("Medication saved."))
            return redirect(_back(participant))
    context = {"participant": participant, "form": form, "record": record}
    return render(request, "medications/cm_form.html", context, status=form_status(form, invalid=400))


@requires(Cap.ENTER_DATA)
def cm_new(request: HttpRequest, screening_number: str) -> HttpResponse:
    return _edit(request, get_object_or_404(Participant, screening_number=screening_number), None)


@requires(Cap.ENTER_DATA)
def cm_edit(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(ConcomitantMedication.objects.select_related("participant"), pk=pk)
    return _edit(request, record.participant, record)


def _edit_history(request, participant, record):
    form = MedicalHistoryForm(request.POST or None, record=record)
    if request.method == "POST" and form.is_valid():
        try:
            mh_record(
                participant=participant,
                user=request.user,
                record=record,
                reason=form.cleaned_data.get("reason_for_change"),
                expected_version=form.expected_version,
                **form.values(),
            )
        except EditConflict as conflict:
            form.show_conflict(conflict=conflict)
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("Medical history saved; washout derived again."))
            return redirect(reverse("subjects:detail", args=[participant.screening_number]) + "#medical-history")
    context = {"participant": participant, "form": form, "record": record}
    return render(request, "medications/mh_form.html", context, status=form_status(form, invalid=400))


@requires(Cap.ENTER_DATA)
def mh_new(request: HttpRequest, screening_number: str) -> HttpResponse:
    return _edit_history(request, get_object_or_404(Participant, screening_number=screening_number), None)


@requires(Cap.ENTER_DATA)
def mh_edit(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(MedicalHistory.objects.select_related("participant"), pk=pk)
    return _edit_history(request, record.participant, record)


def _named(derived: dict[str, bool] | None) -> dict | None:
    """The derived exclusion items by their label (the page shows labels, not keys)."""
    if derived is None:
        return None
    labels = dict(WashoutOverride.ITEMS)
    return {labels.get(item, item): value for item, value in derived.items()}


def _override_conflict(conflict: EditConflict) -> str:
    current, changes = conflict.record(), conflict.changes()
    if not changes:  # a page claiming a version not yet reached
        return _("The override was changed after you opened this page. Nothing was saved: check it and save again.")
    last = changes[-1]
    return _(
        "%(user)s saved the override “%(item)s: %(value)s” (%(reason)s) on %(when)s, after you opened this page. "
        "Nothing was saved: check it and save again."
    ) % {
        "user": last.user or _("The system"),
        "item": current.get_item_display(),
        "value": yesno(current.value),
        "reason": current.reason,
        "when": date_format(timezone.localtime(last.at), "DATETIME_FORMAT"),
    }


@requires(Cap.SIGN_OFF)
def washout_override(request: HttpRequest, screening_number: str) -> HttpResponse:
    """The investigator overrides an exclusion item derived from the medical history, with a reason."""
    participant = get_object_or_404(Participant, screening_number=screening_number)
    overrides = WashoutOverride.objects.filter(participant=participant).select_related("participant")
    form = WashoutOverrideForm(request.POST or None, overrides=overrides)
    changed_item = None
    if request.method == "POST" and form.is_valid():
        try:
            washout_override_set(
                participant=participant,
                user=request.user,
                expected_version=form.expected_version,
                **form.values(),
            )
        except EditConflict as conflict:
            # Shown again with the override now stored, named; the entries stay, and saving again replaces it.
            form.conflict, changed_item = conflict.changes(), form.cleaned_data["item"]
            form.data = form.data.copy()
            form.data["seen"] = seen_versions(overrides.all())
            form.add_error(None, _override_conflict(conflict))
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("Override saved."))
            return redirect(reverse("subjects:detail", args=[participant.screening_number]) + "#medical-history")
    context = {
        "participant": participant,
        "form": form,
        "derived": _named(washout_derived(participant)),
        "overrides": overrides.all(),
        "changed_item": changed_item,
    }
    return render(request, "medications/washout_override.html", context, status=form_status(form, invalid=400))
