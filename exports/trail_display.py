"""The audit trail as people read it: record names instead of model labels and ids, field labels instead
of column names, linked records by name, choices by label, times in the site's zone.

Only the page reads this; the CSV and the API keep the stored values (their content is fixed). The names
of linked records come in one query, whatever the page's length and the models on it.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from exports import audit
from subjects.models import Participant, Visit
from subjects.sitetime import site_zone


@dataclass
class ShownChange:
    field: str
    label: str
    old: str
    new: str


@dataclass
class ShownRow:
    row: audit.TrailRow
    record_name: str
    changes: list[ShownChange]

    def __getattr__(self, name):  # the template reads the row's own values through this one too
        return getattr(self.row, name)


def readable(rows: list[audit.TrailRow], zone) -> list[ShownRow]:
    """The rows as the audit-trail pages show them, times in the site's `zone`."""
    models_by_label = audit.audited_models()
    wanted: dict[type, set] = defaultdict(set)
    for row in rows:
        model = models_by_label[row.model]
        for change in row.changes:
            field = model_field(model, change["field"])
            if field is not None and field.is_relation:
                wanted[field.related_model].update(v for v in (change["old"], change["new"]) if v is not None)
        visit_id = row.identity.get("visit_id")
        if visit_id is not None:
            wanted[Visit].add(visit_id)
    names = linked_names(wanted)
    shown = []
    for row in rows:
        model = models_by_label[row.model]
        changes = []
        for change in row.changes:
            field = model_field(model, change["field"])
            label = capfirst(str(field.verbose_name)) if field is not None else change["field"]
            old, new = (_value(field, change[k], names, zone) for k in ("old", "new"))
            changes.append(ShownChange(change["field"], label, old, new))
        shown.append(ShownRow(row, record_name(model, row.identity, names.get(Visit, {})), changes))
    return shown


def record_name(model, identity: dict, visit_codes: dict) -> str:
    """e.g. "Vital signs · W0 · pre-infusion", "Adverse event 2", "Infusion 1", "Visit W4"."""
    parts = [capfirst(str(model._meta.verbose_name))]
    number = identity.get("ae_number") or identity.get("infusion_number")
    if number:
        parts[0] = f"{parts[0]} {number}"
    code = identity.get("visit_code") or visit_codes.get(identity.get("visit_id"))
    if code:
        parts.append(code)
    if identity.get("timepoint"):
        parts.append(_value(model_field(model, "timepoint"), identity["timepoint"], {}, None))
    return " · ".join(parts)


def model_field(model, name: str):
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:  # a column no longer on the model: shown by its name
        return None


def _name_columns() -> dict:
    """The linked models named by one column of their own: users, participants (their __str__) and
    visits (by code: the record's name says whose visit it is)."""
    user = get_user_model()
    return {user: user.USERNAME_FIELD, Participant: "screening_number", Visit: "visit_code"}


def linked_names(wanted: dict[type, set]) -> dict[type, dict]:
    """{model: {pk: name}} for the linked records of a page, in one query (audit.wide_union): users,
    participants and visits by one column; the others by their __str__, for which each row brings its
    participant's screening number (infusions, lab panels and AEs name their participant)."""
    columns = _name_columns()
    parts = {}
    for model, ids in wanted.items():
        meta = model._meta
        has_participant = any(f.name == "participant" for f in meta.concrete_fields)
        fields = [meta.pk, meta.get_field(columns[model])] if model in columns else list(meta.concrete_fields)
        number = F("participant__screening_number") if has_participant and model not in columns else None
        extra = {"n_participant": number or Cast(Value(None), CharField(max_length=12))}
        parts[meta.label] = (model._default_manager.filter(pk__in=ids), fields, extra)
    models_by_label = {model._meta.label: model for model in wanted}
    names = {model: {} for model in wanted}
    for label, values, row in audit.wide_union(parts):
        model = models_by_label[label]
        pk = values[model._meta.pk.attname]
        if model in columns:
            names[model][pk] = values[model._meta.get_field(columns[model]).attname]
            continue
        obj = model(**values)
        if row["n_participant"] is not None:  # the participant its name shows, without a query of its own
            obj.participant = Participant(pk=values["participant_id"], screening_number=row["n_participant"])
        names[model][pk] = str(obj)
    return names


def _value(field, value, names: dict, zone) -> str:
    if value is None or value == "":
        return "—"
    if field is None:
        return str(value)
    if field.is_relation:
        return names.get(field.related_model, {}).get(value, f"#{value}")
    if field.flatchoices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField):
        return _("yes") if value else _("no")
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return formats.date_format(timezone.localtime(moment, zone), "DATETIME_FORMAT")
    if isinstance(field, models.DateField) and isinstance(value, str):
        return formats.date_format(date.fromisoformat(value), "DATE_FORMAT")
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "—"
    return str(value)


@dataclass
class FieldChange:
    when: datetime
    user: str | None
    reason: str
    old: str
    new: str


def field_changes(model, pk: int, field) -> list[FieldChange]:
    """Every stored change of `field` of record `pk`, newest first (its first value included)."""
    rows = model.history.filter(id=pk).select_related("history_user").order_by("history_id")
    values = list(rows)
    linked = {getattr(r, field.attname) for r in values} - {None} if field.is_relation else set()
    related = linked_names({field.related_model: linked}) if linked else {}
    zone = site_zone()
    out, previous = [], None
    for index, r in enumerate(values):
        value = audit.to_json_value(getattr(r, field.attname))
        if value == previous or (index == 0 and value in (None, "")):
            previous = value
            continue
        out.append(
            FieldChange(
                when=r.history_date,
                user=r.history_user.username if r.history_user else None,
                reason=r.history_change_reason or "",
                old=_value(field, previous, related, zone),
                new=_value(field, value, related, zone),
            )
        )
        previous = value
    return out[::-1]
