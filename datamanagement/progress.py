"""Source data verification progress and each participant's data-management state, in a constant
number of queries (one per record type, one for the marks, queries and locks)."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from datamanagement.models import Lock, LockScope, Query, QueryState, SdvState, SourceVerification
from subjects.models import Participant
from trialsite.records import RECORD_TYPES


def _id_lookup(path: str | None) -> str | None:
    if path is None:
        return None
    if path == "":
        return "pk"
    return path.replace(".", "__") if "." in path else f"{path}_id"


@dataclass
class RecordState:
    record_type: str
    record_id: int
    participant_id: int
    visit_id: int | None
    state: str  # verified / changed / not_verified


def record_states(participant_ids=None) -> list[RecordState]:
    """Every CRF record (of the given participants) with its verification state."""
    marks = SourceVerification.objects.all()
    if participant_ids is not None:
        marks = marks.filter(participant_id__in=participant_ids)
    state_of = {(m.record_type, m.record_id): m.state for m in marks.only("record_type", "record_id", "state")}
    out = []
    for rt in RECORD_TYPES.values():
        participant_field = _id_lookup(rt.participant)
        visit_field = _id_lookup(rt.visit)
        columns = ["pk", participant_field] + ([visit_field] if visit_field else [])
        rows = rt.model_class()._default_manager.all()
        if participant_ids is not None:
            rows = rows.filter(**{f"{participant_field}__in": participant_ids})
        for row in rows.values_list(*columns):
            out.append(
                RecordState(
                    record_type=rt.name,
                    record_id=row[0],
                    participant_id=row[1],
                    visit_id=row[2] if visit_field else None,
                    state=state_of.get((rt.name, row[0]), "not_verified"),
                )
            )
    return out


@dataclass
class DataState:
    open_queries: int = 0
    answered_queries: int = 0
    sdv: Counter = field(default_factory=Counter)
    locked: bool = False

    @property
    def records(self) -> int:
        return sum(self.sdv.values())

    @property
    def sdv_percent(self) -> int:
        return round(100 * self.sdv[SdvState.VERIFIED] / self.records) if self.records else 0


def _count_of(model, lookup: str):
    rows = model._default_manager.filter(**{lookup: OuterRef("pk")}).order_by().values(lookup)
    return Coalesce(Subquery(rows.annotate(n=Count("*")).values("n")[:1]), 0)


def state_columns() -> dict:
    """The columns (dm_…) of a Participant queryset from which state_from builds its data-management
    state: the participant page adds them to its participant's row (settings.PARTICIPANT_PAGE_COLUMNS),
    participant_states to a query of its own."""
    records = {}
    for rt in RECORD_TYPES.values():
        if rt.participant == "":
            records[rt.name] = Value(1)
        else:
            records[rt.name] = _count_of(rt.model_class(), rt.participant.replace(".", "__"))
    marks = SourceVerification.objects.filter(participant=OuterRef("pk")).order_by().values("participant")
    queries = Query.objects.filter(participant=OuterRef("pk")).order_by().values("participant")

    def count(rows, **condition):
        return Coalesce(Subquery(rows.filter(**condition).annotate(n=Count("*")).values("n")[:1]), 0)

    locked = Lock.objects.filter(active=True).filter(
        Q(scope=LockScope.DATABASE) | Q(scope=LockScope.PARTICIPANT, participant=OuterRef("pk"))
    )
    return {
        **{f"dm_records_{name}": expression for name, expression in records.items()},
        "dm_verified": count(marks, state=SdvState.VERIFIED),
        "dm_changed": count(marks, state=SdvState.CHANGED),
        "dm_open_queries": count(queries, state=QueryState.OPEN),
        "dm_answered_queries": count(queries, state=QueryState.ANSWERED),
        "dm_locked": Exists(locked),
    }


def state_from(row: dict) -> DataState:
    """The DataState of a participant from its state_columns (a dict of them)."""
    total = sum(value for name, value in row.items() if name.startswith("dm_records_"))
    sdv = Counter(verified=row["dm_verified"], changed=row["dm_changed"])
    sdv["not_verified"] = max(total - row["dm_verified"] - row["dm_changed"], 0)
    return DataState(
        open_queries=row["dm_open_queries"],
        answered_queries=row["dm_answered_queries"],
        sdv=sdv,
        locked=row["dm_locked"],
    )


def participant_states(participant_ids) -> dict[int, DataState]:
    """Open and answered queries, SDV counts and lock per participant, in one SQL query (for the
    participant list, whose query count is pinned)."""
    participant_ids = list(participant_ids)
    if not participant_ids:
        return {}
    columns = state_columns()
    rows = Participant.objects.filter(pk__in=participant_ids).annotate(**columns).values("pk", *columns)
    states = {row["pk"]: state_from(row) for row in rows}
    return {pid: states.get(pid, DataState()) for pid in participant_ids}


def visit_progress(participant_id) -> dict[int | None, Counter]:
    """Per visit id (None: records without a visit): counts of verified / changed / not_verified."""
    out: dict[int | None, Counter] = defaultdict(Counter)
    for record in record_states([participant_id]):
        out[record.visit_id][record.state] += 1
    return out
