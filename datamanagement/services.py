"""The doors of data management: query transitions, locks, source data verification.

Every write is an audited save (user, UTC time, the text or reason as the history's reason); the
system (edit checks, a change clearing a verification) writes with user None.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from datamanagement.models import (
    ACTIVE_QUERY_STATES,
    Lock,
    LockScope,
    Query,
    QueryState,
    SdvState,
    SourceVerification,
)
from datamanagement.records import (
    field_names,
    participant_id_of,
    record_get,
    record_type_named,
    records_of_visit,
    visit_id_of,
)
from trialsite.audit import RecordLocked, audited_save
from trialsite.records import RECORD_TYPES, record_type_of

# action: (the states it starts from, the state it leads to)
TRANSITIONS = {
    "answer": ((QueryState.OPEN,), QueryState.ANSWERED),
    "close": ((QueryState.OPEN, QueryState.ANSWERED), QueryState.CLOSED),
    "cancel": ((QueryState.OPEN, QueryState.ANSWERED), QueryState.CANCELLED),
    "reopen": ((QueryState.ANSWERED, QueryState.CLOSED), QueryState.OPEN),
}


def _text(text: str | None, field: str = "text") -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({field: [_("A text is required.")]})
    return text


# --- Queries -----------------------------------------------------------------------------------


def query_raise(
    *, user, record_type: str, record_id, text: str, field: str = "", assignee=None, edit_check: str = ""
) -> Query:
    """Open a query on a record (or one of its fields). `user` None: raised by the system."""
    text = _text(text)
    rt = record_type_named(record_type)
    record = record_get(record_type, record_id)
    if field and field not in field_names(rt):
        raise ValidationError(
            {"field": [_("%(type)s has no field '%(field)s'.") % {"type": record_type, "field": field}]}
        )
    query = Query(
        participant_id=participant_id_of(record),
        visit_id=visit_id_of(record),
        record_type=rt.name,
        record_id=record.pk,
        field=field,
        text=text,
        latest_text=text,
        raised_by=user,
        raised_at=timezone.now(),
        assignee=assignee,
        edit_check=edit_check,
    )
    return audited_save(query, user=user, reason=text)


@transaction.atomic
def query_transition(*, query: Query, user, action: str, text: str) -> Query:
    """answer / close / cancel / reopen, with the text recorded as the reason of the history row.

    An answer links to the answerer's latest change of the record since the query was raised (the
    audit row of the correction), when there is one.
    """
    text = _text(text)
    starts, leads_to = TRANSITIONS[action]
    query = Query.objects.select_for_update().get(pk=query.pk)
    if query.state not in starts:
        raise ValidationError({"state": [REFUSED_TRANSITION[action] % {"state": query.get_state_display().lower()}]})
    query.state = leads_to
    query.latest_text = text
    if action == "answer":
        query.answer_change_id = _latest_change_by(query, user)
    return audited_save(query, user=user, reason=text)


# One whole sentence per action, so that each language can say it its own way.
REFUSED_TRANSITION = {
    "answer": gettext_lazy("A %(state)s query cannot be answered."),
    "close": gettext_lazy("A %(state)s query cannot be closed."),
    "cancel": gettext_lazy("A %(state)s query cannot be cancelled."),
    "reopen": gettext_lazy("A %(state)s query cannot be reopened."),
}


def _latest_change_by(query: Query, user) -> int | None:
    model = RECORD_TYPES[query.record_type].model_class()
    return (
        model.history.filter(id=query.record_id, history_user=user, history_date__gte=query.raised_at)
        .order_by("-history_id")
        .values_list("history_id", flat=True)
        .first()
    )


def query_answer(*, query: Query, user, text: str) -> Query:
    return query_transition(query=query, user=user, action="answer", text=text)


def query_close(*, query: Query, user, text: str) -> Query:
    return query_transition(query=query, user=user, action="close", text=text)


def query_cancel(*, query: Query, user, text: str) -> Query:
    return query_transition(query=query, user=user, action="cancel", text=text)


def query_reopen(*, query: Query, user, text: str) -> Query:
    return query_transition(query=query, user=user, action="reopen", text=text)


def queries_on(record) -> list[Query]:
    rt = record_type_of(record)
    return list(Query.objects.filter(record_type=rt.name, record_id=record.pk).order_by("raised_at"))


# --- Locks -------------------------------------------------------------------------------------


def active_lock_on(obj) -> Lock | None:
    """The lock that freezes `obj` (a CRF record): on itself, its visit, its casebook or the database."""
    rt = record_type_of(obj)
    if rt is None:
        return None
    condition = Q(scope=LockScope.DATABASE)
    participant_id, visit_id = participant_id_of(obj), visit_id_of(obj)
    if participant_id is not None:
        condition |= Q(scope=LockScope.PARTICIPANT, participant_id=participant_id)
    if visit_id is not None:
        condition |= Q(scope=LockScope.VISIT, visit_id=visit_id)
    if obj.pk is not None:
        condition |= Q(scope=LockScope.RECORD, record_type=rt.name, record_id=obj.pk)
    return Lock.objects.filter(condition, active=True).select_related("locked_by").order_by("locked_at").first()


def refuse_locked_write(obj, *, deleting: bool) -> None:
    """settings.AUDITED_WRITE_GUARDS: no write or deletion of a locked record, by any path."""
    lock = active_lock_on(obj)
    if lock is not None:
        raise RecordLocked(lock.describe(), owner=lock.locked_by.get_username(), at=lock.locked_at)


@transaction.atomic
def lock_create(
    *,
    user,
    scope: str,
    participant=None,
    visit=None,
    record_type: str = "",
    record_id=None,
    reason: str = "",
    override_open_queries: bool = False,
) -> Lock:
    reason = (reason or "").strip()
    if scope == LockScope.RECORD:
        record = record_get(record_type, record_id)
        participant_id, visit_id, record_id = participant_id_of(record), visit_id_of(record), record.pk
    else:
        participant_id = participant.pk if participant is not None else (visit.participant_id if visit else None)
        visit_id = visit.pk if visit is not None else None
    existing = Lock.objects.filter(
        active=True, scope=scope, participant_id=participant_id, visit_id=visit_id, record_id=record_id
    )
    if scope == LockScope.RECORD:
        existing = existing.filter(record_type=record_type)
    if existing.exists():
        raise ValidationError({"non_field_errors": [_("This is already locked.")]})
    if scope == LockScope.PARTICIPANT:
        open_count = Query.objects.filter(participant_id=participant_id, state__in=ACTIVE_QUERY_STATES).count()
        if open_count and not override_open_queries:
            raise ValidationError(
                {
                    "non_field_errors": [
                        ngettext(
                            "This participant has %(count)s open or answered query: resolve it first, or lock "
                            "anyway with an override and a reason.",
                            "This participant has %(count)s open or answered queries: resolve them first, or lock "
                            "anyway with an override and a reason.",
                            open_count,
                        )
                        % {"count": open_count}
                    ]
                }
            )
        if open_count and not reason:
            raise ValidationError({"reason": [_("Locking over open queries needs a reason.")]})
    lock = Lock(
        scope=scope,
        participant_id=participant_id,
        visit_id=visit_id,
        record_type=record_type if scope == LockScope.RECORD else "",
        record_id=record_id,
        locked_by=user,
        locked_at=timezone.now(),
        reason=reason,
    )
    return audited_save(lock, user=user, reason=reason or "Locked")


@transaction.atomic
def lock_release(*, lock: Lock, user, reason: str) -> Lock:
    reason = _text(reason, "reason")
    lock = Lock.objects.select_for_update().get(pk=lock.pk)
    if not lock.active:
        raise ValidationError({"non_field_errors": [_("This lock was already released.")]})
    lock.active = False
    return audited_save(lock, user=user, reason=reason)


def lock_find(*, scope: str, participant=None, visit=None) -> Lock | None:
    """The active lock of a casebook (participant), a visit, or the database (neither)."""
    locks = Lock.objects.filter(active=True, scope=scope)
    if visit is not None:
        locks = locks.filter(visit=visit)
    elif participant is not None:
        locks = locks.filter(participant=participant)
    return locks.select_related("locked_by").first()


# --- Source data verification ------------------------------------------------------------------


@transaction.atomic
def sdv_verify(*, user, record_type: str, record_id) -> SourceVerification:
    record = record_get(record_type, record_id)
    mark = SourceVerification.objects.select_for_update().filter(record_type=record_type, record_id=record.pk).first()
    if mark is None:
        mark = SourceVerification(
            record_type=record_type,
            record_id=record.pk,
            participant_id=participant_id_of(record),
            visit_id=visit_id_of(record),
        )
    mark.state = SdvState.VERIFIED
    mark.verified_by = user
    mark.verified_at = timezone.now()
    mark.verified_version = record.version
    return audited_save(mark, user=user, reason="Source data verified")


@transaction.atomic
def sdv_verify_visit(*, user, visit) -> list[SourceVerification]:
    """Verify every record of a visit (the visit itself and each visit-bound record type)."""
    marks = []
    for rt in RECORD_TYPES.values():
        records = records_of_visit(rt, visit.pk)
        if records is None:
            continue
        for record_id in records.values_list("pk", flat=True):
            marks.append(sdv_verify(user=user, record_type=rt.name, record_id=record_id))
    return marks


def sdv_clear_on_change(obj, *, created: bool, changed: list[str]) -> None:
    """settings.AUDITED_AFTER_WRITE: a change of a verified record clears its mark (audited, system)."""
    if created:
        return
    rt = record_type_of(obj)
    if rt is None:
        return
    mark = SourceVerification.objects.filter(record_type=rt.name, record_id=obj.pk, state=SdvState.VERIFIED).first()
    if mark is None:
        return
    mark.state = SdvState.CHANGED
    audited_save(
        mark,
        user=None,
        reason=f"Changed after verification (version {mark.verified_version} → {obj.version}): {', '.join(changed)}",
        validate=False,
    )
