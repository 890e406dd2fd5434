"""Signature pages: sign a record (the casebook, or again after an invalidation) and what awaits one's signature."""

from django.apps import apps
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from signatures import services
from signatures.forms import SignForm
from signatures.models import SIGNED_RECORD_TYPE, Meaning
from trialsite.access import requires
from trialsite.forms import form_status, show_errors
from trialsite.records import RECORD_TYPES
from trialsite.roles import Cap


def signed_record_of(participant, meaning: str, record_id) -> object:
    """The record of `participant` that `meaning` signs (the participant itself for a casebook); Http404."""
    try:
        meaning = Meaning(meaning)
    except ValueError as missing:
        raise Http404("Unknown meaning") from missing
    if meaning == Meaning.CASEBOOK_APPROVAL:
        return participant
    model = RECORD_TYPES[SIGNED_RECORD_TYPE[meaning]].model_class()
    try:
        record = model.objects.get(pk=int(record_id))
    except (TypeError, ValueError, OverflowError, model.DoesNotExist) as missing:
        raise Http404("Unknown record") from missing
    if services.participant_id_of(record) != participant.pk:
        raise Http404("Not a record of this participant")
    return record


@requires(Cap.SIGN_OFF)
def sign(request: HttpRequest, screening_number: str) -> HttpResponse:
    participant = get_object_or_404(apps.get_model("subjects.Participant"), screening_number=screening_number)
    meaning = request.GET.get("meaning", Meaning.CASEBOOK_APPROVAL)
    record = signed_record_of(participant, meaning, request.GET.get("record"))
    form = SignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.signature_sign(
                request=request,
                signer=request.user,
                password=form.cleaned_data["password"],
                otp=form.cleaned_data["otp"],
                meaning=meaning,
                record=record,
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("Signed: %(meaning)s") % {"meaning": Meaning(meaning).label})
            return redirect("subjects:detail", screening_number=screening_number)
    context = {
        "form": form,
        "participant": participant,
        "meaning": Meaning(meaning),
        "record": record,
        "blockers": services.casebook_blockers(participant) if meaning == Meaning.CASEBOOK_APPROVAL else [],
        "current": services.valid_signature(meaning, record),
    }
    return render(request, "signatures/sign.html", context, status=form_status(form))


@requires(Cap.SIGN_OFF)
def awaiting(request: HttpRequest) -> HttpResponse:
    return render(request, "signatures/awaiting.html", {"items": services.awaiting_signature(request.user)})
