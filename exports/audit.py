"""The audit trail across every audited model, read from the django-simple-history tables.

One row per history record: model, object, participant, type (+ created, ~ changed, - deleted),
user, UTC time, reason, and the changed fields old -> new (against the previous record of the
same object). Listing = one UNION query over the history tables for the page's rows, and one more for
their full records (`page_records`); the study-wide CSV streams table by table in (object, time)
order with constant memory.
The page and the CSV write the type as a word (created, changed, deleted); the JSON API its code.
"""

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import CharField, DecimalField, F, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Cast
from django.utils.translation import gettext, gettext_noop

from subjects.models import Participant
from trialsite import chain
from trialsite.audit import AuditedModel
from trialsite.spreadsheet import spreadsheet_safe

_ONE_DAY = timedelta(days=1)
IDENTITY_FIELDS = ("visit_code", "visit_id", "ae_number", "infusion_number", "timepoint")
HIDDEN_FIELDS = {"created_at", "updated_at", "version", *chain.CHAIN_COLUMNS}
# django-simple-history's codes as words: the page and the CSV write the words, so no cell of ours starts
# like a formula (a bare "+" or "-" would need neutralising); the JSON API keeps the codes (documented).
# The words stay English in the CSV; pages show them translated (TrailRow.history_type_shown).
HISTORY_TYPES = {"+": gettext_noop("created"), "~": gettext_noop("changed"), "-": gettext_noop("deleted")}
CSV_COLUMNS = [
    "history_id",
    "model",
    "object_id",
    "participant",
    "history_type",
    "user",
    "history_date_utc",
    "reason",
    "field",
    "old",
    "new",
]


def audited_models() -> dict[str, type]:
    """{'subjects.participant': Participant, ...} for every concrete audited model."""
    return {
        model._meta.label_lower: model
        for model in apps.get_models()
        if issubclass(model, AuditedModel) and not model._meta.abstract
    }


def participant_column(model) -> str | None:
    if model is Participant:
        return "id"
    names = {f.name for f in model._meta.concrete_fields}
    return "participant_id" if "participant" in names else None


@dataclass(frozen=True)
class AuditFilter:
    participant_id: int | None = None
    username: str | None = None
    model: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    tz: str = "UTC"
    newest_first: bool = True
    empty: bool = False  # a filter that names something unknown matches nothing
    up_to_position: int | None = None  # the chain head read first: rows written meanwhile are not shown


def _day_start(on: date, tz: str) -> datetime:
    """The UTC moment the site day `on` starts; the calendar's first and last days (0001-01-01, 9999-12-31)
    may lie outside what a UTC datetime holds, and are then its first or last moment."""
    try:
        return datetime.combine(on, time.min, tzinfo=ZoneInfo(tz)).astimezone(UTC)
    except OverflowError:
        return datetime.min.replace(tzinfo=UTC) if on.year == date.min.year else datetime.max.replace(tzinfo=UTC)


def _day_end(on: date, tz: str) -> datetime:
    """The UTC moment the site day after `on` starts (the end of `on`, exclusive)."""
    return datetime.max.replace(tzinfo=UTC) if on == date.max else _day_start(on + _ONE_DAY, tz)


def history_queryset(model, audit_filter: AuditFilter):
    """The history rows of one model under `audit_filter`, as uniform annotated values."""
    history = model.history.model
    pcol = participant_column(model)
    qs = history.objects.order_by()  # no per-table ordering inside the UNION
    if audit_filter.participant_id is not None:
        if pcol is None:
            return None
        qs = qs.filter(**{pcol: audit_filter.participant_id})
    if audit_filter.username:
        qs = qs.filter(history_user__username=audit_filter.username)
    if audit_filter.date_from:
        qs = qs.filter(history_date__gte=_day_start(audit_filter.date_from, audit_filter.tz))
    if audit_filter.date_to:
        qs = qs.filter(history_date__lt=_day_end(audit_filter.date_to, audit_filter.tz))
    if audit_filter.up_to_position is not None:
        qs = qs.exclude(chain_position__gt=audit_filter.up_to_position)
    participant = Cast(F(pcol) if pcol else Value(None), IntegerField())
    return qs.annotate(
        a_model=Cast(Value(model._meta.label_lower), CharField(max_length=100)),
        a_history_id=F("history_id"),
        a_object_id=Cast(F("id"), IntegerField()),
        a_participant=participant,
        a_date=F("history_date"),
    ).values("a_model", "a_history_id", "a_object_id", "a_participant", "a_date")


def trail_queryset(audit_filter: AuditFilter, first: int | None = None):
    """A UNION over the history tables, ordered by time (and history id), or None when nothing can match.

    `first`: only the first rows up to that many are wanted (a page): on PostgreSQL each table then
    gives only its own first ones, read along its history_date index, instead of every table being
    read and sorted whole. Within one table the order is (time, history id), so its first rows are
    all it can contribute to the first rows of the whole."""
    models = audited_models()
    if audit_filter.model:
        models = {audit_filter.model: models[audit_filter.model]}
    parts = [] if audit_filter.empty else [history_queryset(m, audit_filter) for m in models.values()]
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    order = (
        ("-a_date", "-a_model", "-a_history_id") if audit_filter.newest_first else ("a_date", "a_model", "a_history_id")
    )
    if first is not None and len(parts) > 1 and connection.features.supports_slicing_ordering_in_compound:
        parts = [part.order_by(order[0], order[2])[:first] for part in parts]
    union = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return union.order_by(*order)


def history_type_label(code: str) -> str:
    """created, changed or deleted for simple-history's +, ~ or -."""
    return HISTORY_TYPES.get(code, code)


@dataclass
class TrailRow:
    history_id: int
    model: str
    object_id: int
    participant: str | None
    history_type: str
    user: str | None
    history_date: datetime
    reason: str
    changes: list[dict] = field(default_factory=list)
    identity: dict = field(default_factory=dict)  # what names the record to people (not exported)

    @property
    def history_type_label(self) -> str:
        return history_type_label(self.history_type)

    @property
    def history_type_shown(self) -> str:
        return gettext(history_type_label(self.history_type))

    @property
    def model_name(self) -> str:
        return self.model.split(".", 1)[1]

    def as_json(self) -> dict:
        return {
            "history_id": self.history_id,
            "model": self.model,
            "object_id": self.object_id,
            "participant": self.participant,
            "history_type": self.history_type,
            "user": self.user,
            "history_date": self.history_date.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "reason": self.reason,
            "changes": self.changes,
        }


def to_json_value(value):
    if value is None or isinstance(value, bool | int | str | list | dict):
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date | Decimal):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    return str(value)


def data_fields(history) -> list:
    return [
        f
        for f in history._meta.concrete_fields
        if not f.name.startswith("history_") and f.name not in HIDDEN_FIELDS and f.name != "id"
    ]


def row_changes(fields, new, old) -> list[dict]:
    """[{field, old, new}] of the fields that differ (all non-empty fields for a first record)."""
    changes = []
    for f in fields:
        new_value = getattr(new, f.attname)
        old_value = getattr(old, f.attname) if old is not None else None
        if old is None and new_value in (None, ""):
            continue
        if old is not None and new_value == old_value:
            continue
        changes.append({"field": f.name, "old": to_json_value(old_value), "new": to_json_value(new_value)})
    return changes


def resolve_rows(page: list[dict]) -> list[TrailRow]:
    """Full rows (user, reason, changes) for one page of `trail_queryset`, in one query (`page_records`)."""
    records = page_records(page)
    out = []
    for item in page:
        record, previous, extra = records[(item["a_model"], item["a_history_id"])]
        out.append(
            TrailRow(
                history_id=record.history_id,
                model=item["a_model"],
                object_id=record.id,
                participant=extra["r_number"],
                history_type=record.history_type,
                user=extra["r_user"],
                history_date=record.history_date,
                reason=record.history_change_reason or "",
                changes=row_changes(data_fields(type(record)), record, previous),
                identity={name: getattr(record, name) for name in IDENTITY_FIELDS if hasattr(record, name)},
            )
        )
    return out


def page_records(page: list[dict]) -> dict[tuple[str, int], tuple]:
    """{(model, history id): (record, previous record of the same object or None, {r_user, r_number})}.

    One query (`wide_union`) over the history tables of the models on the page. Each table reads the
    history of the page's objects up to its newest record on the page (the object id is indexed on
    every history table), so each record's previous one is the row of the same object just before it.
    The user's name and the participant's screening number come with each row.
    """
    models = audited_models()
    wanted: dict[str, set[int]] = defaultdict(set)
    objects: dict[str, set[int]] = defaultdict(set)
    for item in page:
        wanted[item["a_model"]].add(item["a_history_id"])
        objects[item["a_model"]].add(item["a_object_id"])
    histories = {label: models[label].history.model for label in sorted(wanted)}
    parts = {}
    for label, history in histories.items():
        pcol = participant_column(models[label])
        number = (
            Subquery(Participant.objects.filter(pk=OuterRef(pcol)).values("screening_number")[:1])
            if pcol
            else Cast(Value(None), CharField(max_length=12))
        )
        extra = {
            "r_object": F("id"),
            "r_history": F("history_id"),
            "r_type": F("history_type"),
            "r_date": F("history_date"),
            "r_reason": F("history_change_reason"),
            "r_user": F("history_user__username"),
            "r_number": number,
        }
        rows = history.objects.filter(id__in=objects[label], history_id__lte=max(wanted[label]))
        parts[label] = (rows, data_fields(history), extra)
    records, last = {}, None
    for label, values, row in wide_union(parts, order=("r_object", "r_history")):
        history = histories[label]
        record = history(
            id=row["r_object"],
            history_id=row["r_history"],
            history_type=row["r_type"],
            history_date=row["r_date"],
            history_change_reason=row["r_reason"],
            **values,
        )
        if row["r_history"] in wanted[label]:
            same = last is not None and type(last) is history and last.id == record.id
            records[(label, record.history_id)] = (record, last if same else None, row)
        last = record
    return records


def wide_union(parts: dict[str, tuple], order: tuple = ()) -> Iterator[tuple[str, dict, dict]]:
    """Rows of several models' querysets in one UNION ALL query, ordered by label, then `order`.

    `parts`: {label: (queryset, fields, extra)}, where `extra` ({alias: expression}) names the same
    aliases in the same order in every part. The models have different columns, so every part selects
    the same wide list: its own fields, and a typed NULL for the other parts' fields (typed, because
    PostgreSQL resolves a UNION's column types pair by pair and an untyped NULL would become text).
    Fields of the same name and column type share one place. Yields (label, {attname: value}, row).
    """
    if not parts:
        return
    columns: dict[tuple, tuple[str, object]] = {}  # (name, field class, column type) -> (alias, field)
    for _rows, fields, _extra in parts.values():
        for f in fields:
            columns.setdefault(_column_key(f), (f"c{len(columns)}", f))
    selects = []
    for label, (rows, fields, extra) in parts.items():
        own = {_column_key(f): f for f in fields}
        selected = {"w_label": Cast(Value(label), CharField(max_length=100)), **extra}
        for key, (alias, f) in columns.items():
            selected[alias] = F(own[key].attname) if key in own else Cast(Value(None), f)
        selects.append(rows.order_by().values(**selected))
    union = selects[0].union(*selects[1:], all=True) if len(selects) > 1 else selects[0]
    for row in union.order_by("w_label", *order):
        label = row["w_label"]
        fields = parts[label][1]
        yield label, {f.attname: _stored(f, row[columns[_column_key(f)][0]]) for f in fields}, row


def _column_key(f) -> tuple:
    return (f.attname, type(f), f.db_type(connection))


def _stored(f, value):
    """A decimal as its column holds it: read through a shared UNION column, SQLite gives it back
    without the column's scale (36.8000000000000 for 36.8)."""
    if isinstance(f, DecimalField) and value is not None:
        return value.quantize(Decimal(1).scaleb(-f.decimal_places))
    return value


def stream_csv(chunk_size: int = 2000) -> Iterator[bytes]:
    """The whole study's audit trail as CSV, one line per changed field, model by model.

    The last line is the hash chain's head as it was when the export began (the rows are those up
    to it): kept elsewhere, it lets anyone see later whether the trail was rewritten.
    """
    head = chain.head()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    users = dict(get_user_model().objects.values_list("id", "username"))
    numbers = dict(Participant.objects.values_list("id", "screening_number"))
    for label, model in sorted(audited_models().items()):
        history = model.history.model
        fields = data_fields(history)
        pcol = participant_column(model)
        last = None
        records = history.objects.exclude(chain_position__gt=head.position).order_by("id", "history_id")
        for record in records.iterator(chunk_size=chunk_size):
            old = last if last is not None and last.id == record.id else None
            participant = numbers.get(getattr(record, pcol)) if pcol else None
            stamp = record.history_date.astimezone(UTC).isoformat().replace("+00:00", "Z")
            base = [
                record.history_id,
                label,
                record.id,
                participant or "",
                history_type_label(record.history_type),
                users.get(record.history_user_id, ""),
                stamp,
                record.history_change_reason or "",
            ]
            changes = row_changes(fields, record, old) or [{"field": "", "old": None, "new": None}]
            for change in changes:
                cells = [*base, change["field"], _csv_value(change["old"]), _csv_value(change["new"])]
                writer.writerow([spreadsheet_safe(cell) for cell in cells])
            last = record
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
    writer.writerow(chain_head_row(head))
    yield buffer.getvalue().encode()


def chain_head_row(head: chain.Head) -> list:
    """The closing line of the CSV: the chain position and hash in the `object_id` and `new` columns."""
    row = dict.fromkeys(CSV_COLUMNS, "")
    row.update(model="audit_chain_head", object_id=head.position, reason="sha256 hash chain head", new=head.chain_hash)
    return [row[column] for column in CSV_COLUMNS]


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)
