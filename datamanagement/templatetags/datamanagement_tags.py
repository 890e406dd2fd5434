"""Data-management markers for other apps' pages, which load this library rather than importing the
app (they sit in lower layers): query markers beside fields, a record's query thread, and each
participant's state (open queries, SDV %, locked) on the participant list."""

from collections import defaultdict

from django import template

from datamanagement.models import ACTIVE_QUERY_STATES, Query
from datamanagement.progress import participant_states
from datamanagement.services import active_lock_on
from trialsite.records import record_type_of
from trialsite.roles import Cap, has_cap

register = template.Library()


@register.simple_tag
def record_queries(record) -> dict:
    """{field ("" for the record as a whole): [queries]} of a record, every state, oldest first."""
    out = defaultdict(list)
    rt = record_type_of(record) if record is not None else None
    if rt is None or record.pk is None:
        return {}
    for query in Query.objects.filter(record_type=rt.name, record_id=record.pk).select_related("raised_by"):
        out[query.field].append(query)
    return dict(out)


@register.inclusion_tag("datamanagement/_marker.html")
def query_marker(queries: dict, field: str):
    active = [q for q in (queries or {}).get(field, []) if q.state in ACTIVE_QUERY_STATES]
    state = "open" if any(q.state == "open" for q in active) else ("answered" if active else "")
    return {"active": active, "state": state, "field": field}


@register.inclusion_tag("datamanagement/_record_panel.html", takes_context=True)
def record_data_management(context, record):
    """The queries (thread links), raise link and lock notice of one record, under its page."""
    rt = record_type_of(record) if record is not None else None
    if rt is None or record.pk is None:
        return {"record": None}
    user = context["request"].user
    queries = Query.objects.filter(record_type=rt.name, record_id=record.pk).select_related("raised_by")
    return {
        "record": record,
        "record_type": rt.name,
        "queries": list(queries.order_by("raised_at")),
        "lock": active_lock_on(record),
        "can_raise": has_cap(user, Cap.RAISE_QUERY),
    }


@register.simple_tag
def data_states(participants) -> dict:
    return participant_states([p.pk for p in participants])


@register.filter
def state_of(states: dict, participant_id):
    return (states or {}).get(participant_id)


@register.simple_tag
def data_states_one(participant):
    return participant_states([participant.pk])[participant.pk]


@register.inclusion_tag("datamanagement/_query_reminders.html")
def query_reminders(user):
    from datamanagement.reminders import QUERY_REMINDER_DAYS, query_reminders_for

    return {"reminders": list(query_reminders_for(user)), "days": QUERY_REMINDER_DAYS}
