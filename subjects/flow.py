"""The forms of a visit in the order they are entered, and where a save leads: the next form of the
visit ("Save and next form"), else the participant page at that visit.

Forms are named by record type (trialsite/records.py) and reached by URL name, so the apps that own
them call this without subjects importing them.
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from subjects.models import Participant, VisitDefinition

SCREENING_FORMS = ("screening", "vital_signs", "pasi_assessment")
DOSING_FORMS = ("vital_signs", "pasi_assessment", "infusion")  # the infusion records the visit date
FOLLOW_UP_FORMS = ("visit", "vital_signs", "pasi_assessment")
FORM_LABELS = {
    "visit": _("Visit"),
    "screening": _("Screening"),
    "vital_signs": _("Vital signs"),
    "infusion": _("Infusion"),
    "pasi_assessment": _("PASI"),
}
NEXT = "next"  # the value of the "then" button that asks for the next form


def forms_of(definition: VisitDefinition) -> tuple[str, ...]:
    if definition.code == "SCR":
        return SCREENING_FORMS
    return DOSING_FORMS if definition.dosing else FOLLOW_UP_FORMS


def form_url(form: str, participant: Participant, visit_code: str, *, entry: bool = True) -> str | None:
    """The page of `form` at the visit, None when it cannot be opened yet. The screening and visit
    forms are data-entry pages only: for a reader who does not enter data (`entry` False) they lead to
    the participant page, where the eligibility and each visit are shown."""
    sn = participant.screening_number
    if form == "screening":
        if not entry:
            return reverse("subjects:detail", args=[sn]) + "#eligibility"
        return reverse("subjects:screening", args=[sn])
    if form == "visit":
        if not participant.subject_id:
            return None
        return reverse("subjects:visit", args=[sn, visit_code]) if entry else visit_page_url(participant, visit_code)
    names = {"vital_signs": "dosing:vitals", "infusion": "dosing:infusion", "pasi_assessment": "assessments:pasi"}
    return reverse(names[form], args=[sn, visit_code]) if form in names else None


def visit_page_url(participant: Participant, visit_code: str) -> str:
    return reverse("subjects:detail", args=[participant.screening_number]) + f"#visit-{visit_code}"


def next_form(participant: Participant, visit_code: str, form: str) -> str | None:
    """The record type entered after `form` at this visit (None: it is the last)."""
    definition = VisitDefinition.objects.filter(code=visit_code).first()  # one study per deployment
    order = forms_of(definition) if definition is not None else ()
    if form not in order or order.index(form) + 1 == len(order):
        return None
    return order[order.index(form) + 1]


def after_save(post, participant: Participant, visit_code: str, form: str) -> str:
    """Where the user goes after saving `form`: the next form when asked for, else the visit."""
    if post.get("then") == NEXT:
        following = next_form(participant, visit_code, form)
        url = form_url(following, participant, visit_code) if following else None
        if url:
            return url
    return visit_page_url(participant, visit_code)
