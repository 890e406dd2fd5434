"""The investigator's to-do list: everything waiting for an investigator, in sections, each item linking
to the page that resolves it.

`todo_sections(user, study)` is the one selector; other apps add a section (queries to answer, say) by
appending one more `Section` here from their own selector. A constant number of queries.
"""

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from safety.clocks import with_clocks
from safety.models import AdverseEvent, SafetyHold
from signatures.models import Meaning
from signatures.services import awaiting_signature
from subjects.models import Study
from subjects.sitetime import site_date


@dataclass
class Item:
    title: str
    detail: str
    url: str
    clock: object = None  # an SAE clock (safety.rules.SaeClock) for items that have one


@dataclass
class Section:
    key: str
    title: str
    empty: str
    items: list[Item] = field(default_factory=list)


def todo_sections(user, study: Study) -> list[Section]:
    return [_signatures(user), _causality(), _saes(study), _holds(study)]


def _signatures(user) -> Section:
    """What awaits the investigator's signature (signatures.services): eligibility sign-offs, causality
    and hold releases whose signature a change invalidated, casebooks ready to approve."""
    items = []
    for waiting in awaiting_signature(user):
        screening_number = waiting.participant.screening_number
        if waiting.meaning == Meaning.ELIGIBILITY:
            url = reverse("subjects:signoff", args=[screening_number])
        else:
            url = reverse("signatures:sign", args=[screening_number])
            url += f"?meaning={waiting.meaning}&record={waiting.record_id}"
        why = waiting.invalidated.invalidation_reason if waiting.invalidated else waiting.meaning_label
        items.append(Item(str(waiting.label), why, url))
    return Section("signoffs", _("Signatures waiting"), _("Nothing waits for your signature."), items)


def _causality() -> Section:
    unassessed = (
        AdverseEvent.objects.filter(causality_assessed_at__isnull=True)
        .select_related("participant")
        .order_by("onset_date", "pk")
    )
    items = [
        Item(
            f"{ae.participant.display_id} · AE {ae.ae_number}: {ae.term}",
            _("grade %(grade)s, onset %(onset)s") % {"grade": ae.grade, "onset": date_format(ae.onset_date)},
            reverse("safety:ae_assess", args=[ae.pk]),
        )
        for ae in unassessed
    ]
    return Section("causality", _("AEs without causality assessment"), _("Every AE is assessed."), items)


def _saes(study: Study) -> Section:
    open_saes = list(
        AdverseEvent.objects.filter(serious=True, reported_to_sponsor_at__isnull=True)
        .select_related("participant")
        .order_by("awareness_time", "pk")
    )
    with_clocks(open_saes, study)
    items = [
        Item(
            f"{ae.participant.display_id} · AE {ae.ae_number}: {ae.term}",
            _("not yet reported to the sponsor"),
            reverse("safety:ae_detail", args=[ae.pk]),
            clock=ae.clock,
        )
        for ae in open_saes
    ]
    return Section("saes", _("SAEs to report"), _("No SAE waits for its report."), items)


def _holds(study: Study) -> Section:
    holds = SafetyHold.objects.filter(released_at__isnull=True).select_related("participant", "adverse_event")
    items = [
        Item(
            f"{hold.participant.display_id}",
            _("on hold since %(date)s (AE %(number)s)")
            % {"date": date_format(site_date(hold.placed_at, study)), "number": hold.adverse_event.ae_number},
            reverse("safety:hold_release", args=[hold.pk]),
        )
        for hold in holds.order_by("placed_at")
    ]
    return Section("holds", _("Safety holds waiting for release"), _("No participant is on hold."), items)
