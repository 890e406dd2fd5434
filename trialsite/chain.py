"""The audit trail as a hash chain: tamper-evident even against someone with database access.

Every history row, of every audited record type, takes the next place in one global chain when
it is written. It stores its place (`chain_position`, 1, 2, 3 … without gaps), the names of the
fields its hash covers (`chain_fields`: adding a field to a record type later leaves older rows
verifiable), the hash of its content (`row_hash`) and the link (`chain_hash`: the hash of the
previous link, the position and the row hash). The head (`AuditChainHead`: last position and
link) is locked while a row is appended, so concurrent writers append one after another, and it
is held until their transaction ends: links are never lost or doubled.

`verify()` recomputes everything and names the first row changed, deleted or inserted out of
order. A superuser can still rewrite rows and recompute the links after them, but then the head
changes: the head printed with every audit-trail export, kept elsewhere (the sponsor, the DMC),
exposes it. Data migrations that write history rows must chain them with `append`.
"""

import hashlib
import heapq
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import IntegrityError, models, transaction

GENESIS = "0" * 64
CHAIN_COLUMNS = ("chain_position", "chain_fields", "row_hash", "chain_hash")
HEAD_ID = 1


class ChainedHistory(models.Model):
    """The chain columns of every history table (simple-history `bases` of the audited models)."""

    chain_position = models.BigIntegerField(null=True, blank=True, editable=False, db_index=True)
    chain_fields = models.TextField(blank=True, editable=False)
    row_hash = models.CharField(max_length=64, blank=True, editable=False)
    chain_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        with transaction.atomic(using=kwargs.get("using")):
            if self._state.adding and self.chain_position is None:
                append([self], using=kwargs.get("using"))
            super().save(*args, **kwargs)


@dataclass(frozen=True)
class Head:
    position: int
    chain_hash: str


# --- Hashing -------------------------------------------------------------------------------------


def chained_fields(history_model) -> list[str]:
    """The columns a row's hash covers: all but its own id and the chain columns."""
    return [
        f.attname
        for f in history_model._meta.concrete_fields
        if f.attname != "history_id" and f.attname not in CHAIN_COLUMNS
    ]


def canonical(model_field, value):
    """One value as the hash sees it: the same whether read back from the database or about to be written."""
    value = model_field.to_python(value)
    if value is None or isinstance(value, bool | int | str | list | dict):
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return "0" if value == 0 else format(value.normalize(), "f")
    return str(value)


def content_hash(table: str, values: dict[str, object], fields: dict[str, models.Field]) -> str:
    """The hash of a history row's content (`values`: attname -> value of the `fields` it covers)."""
    document = {"table": table, "values": {name: canonical(fields[name], values[name]) for name in sorted(values)}}
    payload = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def link_hash(previous: str, position: int, row_hash: str) -> str:
    return hashlib.sha256(f"{previous}:{position}:{row_hash}".encode()).hexdigest()


@cache
def _fields_by_attname(history_model) -> dict[str, models.Field]:
    return {f.attname: f for f in history_model._meta.concrete_fields}


def row_hash_of(row, names: list[str]) -> str:
    """Recompute a history row's hash over the fields `names`; FieldDoesNotExist when one is gone."""
    fields = _fields_by_attname(type(row))
    missing = [name for name in names if name not in fields]
    if missing:
        raise FieldDoesNotExist(", ".join(missing))
    return content_hash(type(row)._meta.db_table, {name: getattr(row, name) for name in names}, fields)


# --- Appending ------------------------------------------------------------------------------------


def _locked_head(using=None):
    from trialsite.models import AuditChainHead

    heads = AuditChainHead.objects.db_manager(using).select_for_update()
    head = heads.filter(pk=HEAD_ID).first()
    if head is None:  # a database emptied by a test flush: the chain starts again
        try:
            with transaction.atomic(using=using):
                AuditChainHead.objects.db_manager(using).create(pk=HEAD_ID, position=0, chain_hash=GENESIS)
        except IntegrityError:
            pass
        head = heads.get(pk=HEAD_ID)
    return head


def append(rows, using=None) -> None:
    """Give unsaved history rows their places at the end of the chain, in order.

    Locks the head until the surrounding transaction ends (so the rows must be inserted in it).
    """
    from trialsite.models import AuditChainHead

    head = _locked_head(using)
    position, previous = head.position, head.chain_hash
    for row in rows:
        names = chained_fields(type(row))
        position += 1
        row.chain_position = position
        row.chain_fields = " ".join(names)
        row.row_hash = row_hash_of(row, names)
        row.chain_hash = previous = link_hash(previous, position, row.row_hash)
    AuditChainHead.objects.db_manager(using).filter(pk=HEAD_ID).update(position=position, chain_hash=previous)


def head() -> Head:
    from trialsite.models import AuditChainHead

    found = AuditChainHead.objects.filter(pk=HEAD_ID).values_list("position", "chain_hash").first()
    return Head(*found) if found else Head(0, GENESIS)


# --- Verifying -------------------------------------------------------------------------------------


def history_models() -> list[type]:
    return sorted((m for m in apps.get_models() if issubclass(m, ChainedHistory)), key=lambda m: m._meta.db_table)


def all_rows(up_to: int | None = None) -> Iterator:
    """Every chained history row, in chain order (a merge of the tables, each read in position order)."""
    streams = []
    for model in history_models():
        rows = model.objects.filter(chain_position__isnull=False)
        if up_to is not None:
            rows = rows.filter(chain_position__lte=up_to)
        streams.append(rows.order_by("chain_position", "history_id").iterator(chunk_size=2000))
    return heapq.merge(*streams, key=lambda row: row.chain_position)


def describe(row) -> str:
    return f"{row._meta.db_table} history_id {row.history_id}"


def _positions(first: int, last: int) -> str:
    return f"chain position {first}" if first == last else f"chain positions {first}–{last}"


@dataclass
class Verification:
    rows: int = 0
    head: Head = field(default_factory=lambda: Head(0, GENESIS))
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify() -> Verification:
    """Recompute the chain; every problem found, in chain order (the first one first)."""
    result = Verification(head=head())
    expected, previous, last_seen = 1, GENESIS, None
    last_id: dict[str, int] = {}
    for row in all_rows(up_to=result.head.position):
        result.rows += 1
        position, table = row.chain_position, row._meta.db_table
        gap = position > expected
        if position < expected:
            result.problems.append(
                f"inserted out of order: {describe(row)} claims chain position {position}, "
                f"already taken by {describe(last_seen)}"
            )
        elif gap:
            result.problems.append(
                f"deleted: no row at {_positions(expected, position - 1)} (the chain goes on with {describe(row)} "
                f"at position {position})"
            )
        try:
            content_ok = row_hash_of(row, row.chain_fields.split()) == row.row_hash
        except (FieldDoesNotExist, ValidationError) as error:
            content_ok = False
            result.problems.append(f"changed: {describe(row)} (chain position {position}): cannot recompute ({error})")
        else:
            if not content_ok:
                result.problems.append(
                    f"changed: {describe(row)} (chain position {position}) no longer matches its hash"
                )
        if (
            content_ok
            and not gap
            and position >= expected
            and row.chain_hash != link_hash(previous, position, row.row_hash)
        ):
            result.problems.append(
                f"changed: the link of {describe(row)} (chain position {position}) does not follow from the row "
                "before it: a row before it was rewritten"
            )
        if table in last_id and row.history_id < last_id[table]:
            result.problems.append(
                f"inserted out of order: {describe(row)} (chain position {position}) comes after "
                f"history_id {last_id[table]} of the same table"
            )
        last_id[table] = max(row.history_id, last_id.get(table, 0))
        previous, expected, last_seen = row.chain_hash, max(expected, position + 1), row
    if result.head.position >= expected:
        result.problems.append(
            f"deleted: no row at {_positions(expected, result.head.position)} (the end of the chain)"
        )
    elif result.rows and previous != result.head.chain_hash:
        result.problems.append("changed: the chain head does not match the last row of the chain")
    end = head().position  # rows committed while this ran are after the head read first, not beyond this one
    for model in history_models():
        for row in model.objects.filter(chain_position__gt=end).order_by("chain_position")[:100]:
            result.problems.append(f"inserted out of order: {describe(row)} claims a place after the end of the chain")
        for row in model.objects.filter(chain_position__isnull=True).order_by("history_id")[:100]:
            result.problems.append(f"inserted outside the chain: {describe(row)} has no place in the chain")
    return result
