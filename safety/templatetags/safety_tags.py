from dataclasses import dataclass
from datetime import datetime

from django import template
from django.db.models import F

from safety.clocks import with_clocks
from safety.models import AdverseEvent
from subjects.models import Study

register = template.Library()


@register.filter
def get_item(row: dict, key: str):
    return row.get(key, "")


@dataclass(frozen=True)
class HoldRow:
    """A safety hold as the participant page lists it, read with its adverse event."""

    pk: int
    adverse_event: AdverseEvent
    placed_at: datetime
    released_at: datetime | None
    released_by_name: str | None
    release_reason: str


@register.simple_tag
def participant_safety(participant, study=None) -> dict:
    """AEs (with SAE clock) and holds of one participant for the participant page, in one query (and one
    more for the study when the page does not pass it: `{% participant_safety participant study as safety %}`):
    an AE has at most one hold (the constraint hold_once_per_ae), so each AE row carries its hold's columns."""
    if not isinstance(study, Study):  # "" when the context has no study
        study = Study.current()
    adverse_events = with_clocks(
        list(
            participant.adverse_events.annotate(
                hold_pk=F("safety_holds__pk"),
                hold_placed_at=F("safety_holds__placed_at"),
                hold_released_at=F("safety_holds__released_at"),
                hold_released_by=F("safety_holds__released_by__username"),
                hold_release_reason=F("safety_holds__release_reason"),
            ).order_by("ae_number")
        ),
        study,
    )
    holds = [
        HoldRow(ae.hold_pk, ae, ae.hold_placed_at, ae.hold_released_at, ae.hold_released_by, ae.hold_release_reason)
        for ae in adverse_events
        if ae.hold_pk is not None
    ]
    holds.sort(key=lambda hold: hold.placed_at, reverse=True)
    return {"adverse_events": adverse_events, "holds": holds, "open_holds": [h for h in holds if h.released_at is None]}
