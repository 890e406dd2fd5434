from django import template

from safety.clocks import with_clocks
from subjects.models import Study

register = template.Library()


@register.filter
def get_item(row: dict, key: str):
    return row.get(key, "")


@register.simple_tag
def participant_safety(participant, study=None) -> dict:
    """AEs (with SAE clock) and holds of one participant for the participant page: two queries, and one
    more for the study when the page does not pass it (`{% participant_safety participant study as safety %}`)."""
    if not isinstance(study, Study):  # "" when the context has no study
        study = Study.current()
    adverse_events = with_clocks(list(participant.adverse_events.order_by("ae_number")), study)
    holds = list(participant.safety_holds.select_related("adverse_event", "released_by").order_by("-placed_at"))
    return {"adverse_events": adverse_events, "holds": holds, "open_holds": [h for h in holds if h.released_at is None]}
