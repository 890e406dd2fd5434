"""Data-management markers for other apps' pages, which load this library rather than importing the
app (they sit in lower layers): query markers beside fields, a record's query thread, and each
participant's state (open queries, SDV %, locked) on the participant list."""

from collections import defaultdict

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.utils.text import capfirst

from datamanagement.editchecks import shown_text
from datamanagement.models import ACTIVE_QUERY_STATES, Query
from datamanagement.progress import participant_states, state_columns, state_from
from datamanagement.services import active_lock_on
from trialsite.records import RECORD_TYPES, record_type_of
from trialsite.roles import Cap, has_cap
from trialsite.templatetags.records import record_type_label

register = template.Library()


def _type_of(record):
    """The record type of a saved CRF record, else None (also for a missing template variable)."""
    if getattr(record, "_meta", None) is None or record.pk is None:
        return None
    return record_type_of(record)


register.filter("query_text", shown_text)


@register.filter
def query_field_label(query) -> str:
    """The queried field by its label in the reader's language ("" for the record as a whole)."""
    rt = RECORD_TYPES.get(query.record_type)
    if not query.field or rt is None:
        return query.field
    try:
        return capfirst(rt.model_class()._meta.get_field(query.field).verbose_name)
    except FieldDoesNotExist:  # a field no longer on the model: shown by its name
        return query.field


register.filter("record_type_label", record_type_label)


@register.simple_tag
def record_queries(record) -> dict:
    """{field ("" for the record as a whole): [queries]} of a record, every state, oldest first."""
    out = defaultdict(list)
    rt = _type_of(record)
    if rt is None:
        return {}
    for query in Query.objects.filter(record_type=rt.name, record_id=record.pk).select_related("raised_by"):
        out[query.field].append(query)
    return dict(out)


@register.inclusion_tag("datamanagement/_marker.html")
def field_query_marker(form, field: str):
    """The marker beside a field of a form editing a saved record (`form.record`, as the history
    link reads it): the shared field template calls it, so every form rendered through it has the
    markers; the record's queries are read once per form."""
    queries = getattr(form, "_record_queries", None)
    if queries is None:
        queries = record_queries(getattr(form, "record", None))
        try:
            form._record_queries = queries
        except AttributeError:  # not a form (a missing template variable)
            pass
    return query_marker(queries, field)


@register.simple_tag
def participant_queries(participant) -> dict:
    """{(record_type, record_id): {field: [queries]}} of every record of a participant, one query:
    pages showing several records (the participant page, a visit's vital signs) mark them all."""
    out = defaultdict(lambda: defaultdict(list))
    if getattr(participant, "pk", None) is None:
        return {}
    for query in Query.objects.filter(participant_id=participant.pk).select_related("raised_by"):
        out[(query.record_type, query.record_id)][query.field].append(query)
    return {key: dict(fields) for key, fields in out.items()}


@register.filter
def queries_of(participant_queries: dict, record) -> dict:
    """The {field: [queries]} of one record out of participant_queries."""
    rt = _type_of(record)
    if rt is None or not participant_queries:
        return {}
    return participant_queries.get((rt.name, record.pk), {})


@register.inclusion_tag("datamanagement/_marker.html")
def query_marker(queries: dict, field: str):
    active = [q for q in (queries or {}).get(field, []) if q.state in ACTIVE_QUERY_STATES]
    state = "open" if any(q.state == "open" for q in active) else ("answered" if active else "")
    return {"active": active, "state": state, "field": field}


@register.inclusion_tag("datamanagement/_record_panel.html", takes_context=True)
def record_data_management(context, record):
    """The queries (thread links), raise link and lock notice of one record, under its page."""
    rt = _type_of(record)
    if rt is None:
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
    """The participant page's row carries the state (settings.PARTICIPANT_PAGE_COLUMNS); else one query."""
    if hasattr(participant, "dm_locked"):
        return state_from({name: getattr(participant, name) for name in state_columns()})
    return participant_states([participant.pk])[participant.pk]


@register.inclusion_tag("datamanagement/_query_reminders.html")
def query_reminders(user):
    from datamanagement.reminders import QUERY_REMINDER_DAYS, query_reminders_for

    return {"reminders": list(query_reminders_for(user)), "days": QUERY_REMINDER_DAYS}
