"""The data-management states of records on the participant status grid (desk.status): open or
answered queries, source data verification, record locks. One query per kind for a page's records."""

from datamanagement.models import ACTIVE_QUERY_STATES, Lock, LockScope, Query, SdvState, SourceVerification
from trialsite.records import of_records


def record_states(records: dict[str, set[int]]) -> dict[tuple[str, int], list[str]]:
    """{(record type, pk): [state, …]} of the records {record type: {pk, …}}."""
    if not records:
        return {}
    condition = of_records(records)
    out: dict[tuple[str, int], list[str]] = {}
    queries = Query.objects.filter(condition, state__in=ACTIVE_QUERY_STATES)
    for record_type, pk, state in queries.order_by().values_list("record_type", "record_id", "state").distinct():
        out.setdefault((record_type, pk), []).append(f"{state}_query")
    marks = SourceVerification.objects.filter(condition)
    for record_type, pk, state in marks.values_list("record_type", "record_id", "state"):
        state = "verified" if state == SdvState.VERIFIED else "changed_since_verification"
        out.setdefault((record_type, pk), []).append(state)
    locks = Lock.objects.filter(condition, active=True, scope=LockScope.RECORD)
    for key in locks.values_list("record_type", "record_id"):
        out.setdefault(key, []).append("locked")
    return out
