"""The data-management states of records on the participant status grid (desk.status): open or
answered queries, source data verification, record locks. One query per kind for a page's records."""

from datamanagement.models import ACTIVE_QUERY_STATES, Lock, LockScope, Query, SdvState, SourceVerification


def record_states(record_type: str, pks: set[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    queries = Query.objects.filter(record_type=record_type, record_id__in=pks, state__in=ACTIVE_QUERY_STATES)
    for pk, state in queries.values_list("record_id", "state").distinct():
        out.setdefault(pk, []).append(f"{state}_query")
    marks = SourceVerification.objects.filter(record_type=record_type, record_id__in=pks)
    for pk, state in marks.values_list("record_id", "state"):
        out.setdefault(pk, []).append("verified" if state == SdvState.VERIFIED else "changed_since_verification")
    locks = Lock.objects.filter(active=True, scope=LockScope.RECORD, record_type=record_type, record_id__in=pks)
    for pk in locks.values_list("record_id", flat=True):
        out.setdefault(pk, []).append("locked")
    return out
