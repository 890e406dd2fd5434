"""The investigator's to-do list: everything waiting for an investigator, in sections, each item linking
to the page that resolves it.

`todo_sections()` is the one selector; other apps add a section (signatures to give, queries to answer)
by appending one more `Section` here from their own selector. A constant number of queries.
"""

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from safety.clocks import with_clocks
from safety.models import AdverseEvent, SafetyHold
from subjects.models import ParticipantStatus, Screening, Study


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


def todo_sections() -> list[Section]:
    study = Study.current()
    return [_signoffs(), _causality(), _saes(study), _holds()]


def _signoffs() -> Section:
    waiting = (
        Screening.objects.filter(
            investigator_signoff_at__isnull=True,
            eligible=True,
            participant__status=ParticipantStatus.SCREENING,
        )
        .select_related("participant")
        .order_by("screening_date")
    )
    items = [
        Item(
            str(s.participant.screening_number),
            _("screened %(date)s") % {"date": s.screening_date.isoformat()},
            reverse("subjects:signoff", args=[s.participant.screening_number]),
        )
        for s in waiting
    ]
    return Section("signoffs", _("Eligibility sign-offs waiting"), _("No eligibility waits for a sign-off."), items)


def _causality() -> Section:
    unassessed = (
        AdverseEvent.objects.filter(causality_assessed_at__isnull=True)
        .select_related("participant")
        .order_by("onset_date", "pk")
    )
    items = [
        Item(
            f"{ae.participant.display_id} · AE {ae.ae_number}: {ae.term}",
            _("grade %(grade)s, onset %(onset)s") % {"grade": ae.grade, "onset": ae.onset_date.isoformat()},
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


def _holds() -> Section:
    holds = SafetyHold.objects.filter(released_at__isnull=True).select_related("participant", "adverse_event")
    items = [
        Item(
            f"{hold.participant.display_id}",
            _("on hold since %(date)s (AE %(number)s)")
            % {"date": hold.placed_at.date().isoformat(), "number": hold.adverse_event.ae_number},
            reverse("safety:hold_release", args=[hold.pk]),
        )
        for hold in holds.order_by("placed_at")
    ]
    return Section("holds", _("Safety holds waiting for release"), _("No participant is on hold."), items)
