"""The audit trail every clinical model stands on.

`AuditedModel` gives a model a django-simple-history table recording who, when (UTC), what
(a full row snapshot, so old -> new per field can be shown) and why (`reason_for_change`).
Writes go through `audited_save` / `audited_delete`: a first save is recorded as
"Initial entry"; a change or deletion of an existing record without a reason is refused with
a ValidationError on `reason_for_change`. The model's own save()/delete() enforce the same
rule, so no code path can write around it.

Every audited record also has a `version` that increases with each change (optimistic
concurrency). A save reads the stored row under a lock and refuses with `EditConflict` when it
moved on since the record was read (or since the version the caller says it read, the
`expected_version` a form or an If-Match header carries); a save that changes no stored value
writes nothing, not even a history row. Each history row is a link of the hash chain
(trialsite.chain).
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from trialsite.chain import ChainedHistory

INITIAL_ENTRY = "Initial entry"
REASON_MAX_LENGTH = 1000  # a reason for change is a sentence or a paragraph; input fields refuse more
REASON_REQUIRED = _("A reason for change is required to change data that has already been saved.")
# Kept by the system, never part of what a change is about.
BOOKKEEPING_FIELDS = ("id", "created_at", "updated_at", "version")


def reason_error() -> ValidationError:
    return ValidationError({"reason_for_change": [REASON_REQUIRED]})


@dataclass(frozen=True)
class Change:
    """One recorded change of a record: who, when, why and (verbose name, old, new) per field."""

    user: str | None
    at: datetime
    reason: str
    version: int
    fields: list[tuple[str, object, object]]


class EditConflict(Exception):
    """The record changed after the caller read it: nothing was written.

    `expected` is the version the caller read, `current` the stored one; `changes()` lists what
    happened in between, from the history.
    """

    def __init__(self, record, *, expected: int, current: int):
        self.model = type(record)
        self.pk = record.pk
        self.expected = expected
        self.current = current
        label = f"{record._meta.verbose_name} {record.pk}"
        super().__init__(f"{label} is at version {current}, not {expected}: it was changed after it was read.")

    def record(self):
        return self.model._default_manager.get(pk=self.pk)

    def changes(self) -> list[Change]:
        return changes_since(self.model, self.pk, self.expected)

    def describe(self) -> str:
        """Who changed what and when, in one sentence per change (for messages and API errors)."""
        parts = [describe_change(change) for change in self.changes()]
        what = " ".join(parts) if parts else gettext("It was changed by someone else.")
        return gettext("This record was changed after you read it (version %(read)d, now %(current)d). %(what)s") % {
            "read": self.expected,
            "current": self.current,
            "what": what,
        }


class RecordLocked(ValidationError):
    """A write refused because the record (or its visit, casebook or the database) is locked.

    Raised by the lock guard of an upper layer; defined here so that the API can answer it with 423
    and forms show it like any other refusal. `owner` and `at` name who locked it and when (UTC).
    """

    def __init__(self, message: str, *, owner: str, at: datetime):
        super().__init__(message, code="locked")
        self.owner = owner
        self.at = at


def describe_change(change: Change) -> str:
    from django.utils import dateformat, timezone

    when = dateformat.format(
        timezone.localtime(change.at), pgettext("date and time of a change (Django date format)", "d M Y H:i T")
    )
    fields = "; ".join(f"{name} {_shown(old)} → {_shown(new)}" for name, old, new in change.fields)
    values = {
        "who": change.user or gettext("The system"),
        "when": when,
        "reason": change.reason,
        "fields": fields or gettext("no field shown"),
    }
    if change.reason:
        return gettext("%(who)s changed it on %(when)s (reason: %(reason)s): %(fields)s.") % values
    return gettext("%(who)s changed it on %(when)s: %(fields)s.") % values


def _shown(value) -> str:
    if value is None or value == "":
        return "—"
    if value is True or value is False:
        return gettext("yes") if value else gettext("no")
    return str(value)


def changes_since(model, pk, version: int) -> list[Change]:
    """The recorded changes of one record after `version`, oldest first."""
    rows = list(model.history.filter(id=pk, version__gte=version).select_related("history_user").order_by("history_id"))
    base = next((row for row in reversed(rows) if row.version == version), None)
    later = [row for row in rows if row.version > version]
    out, previous = [], base
    for row in later:
        user = row.history_user.get_username() if row.history_user else None
        out.append(
            Change(
                user=user,
                at=row.history_date,
                reason=row.history_change_reason or "",
                version=row.version,
                fields=field_changes(row, previous) if previous is not None else [],
            )
        )
        previous = row
    return out


@cache
def _hooks(setting: str) -> tuple:
    return tuple(import_string(path) for path in getattr(settings, setting, ()))


def run_write_guards(obj, *, deleting: bool = False) -> None:
    """Call each of settings.AUDITED_WRITE_GUARDS: each may refuse the write by raising.

    Upper-layer apps (locks, for one) guard every write of every audited record this way, whatever
    path the write takes (form, API, admin, task), without the ground layer importing them.
    """
    for guard in _hooks("AUDITED_WRITE_GUARDS"):
        guard(obj, deleting=deleting)


def run_after_write(obj, *, created: bool, changed: list[str]) -> None:
    """Call each of settings.AUDITED_AFTER_WRITE in the writing transaction, after a stored change.

    `changed`: the attnames whose value changed (every field on creation). E.g. a change of a
    signed record invalidates its signature, a change of a verified record clears the mark.
    """
    for hook in _hooks("AUDITED_AFTER_WRITE"):
        hook(obj, created=created, changed=changed)


class AuditTrailRecords(HistoricalRecords):
    """simple-history's records with one index in the order the audit trail reads them, newest first:
    history date, then history id (the library's own ordering). A page then reads only its first rows
    of each table, however many rows share one time (a bulk load, a data migration); the index on the
    date alone would leave every row of that time to be sorted."""

    def get_meta_options(self, model):
        options = super().get_meta_options(model)
        options["indexes"] = (models.Index(fields=("history_date", "history_id")),)
        return options


class AuditedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(
        default=1, editable=False, help_text=_("Increases with every change (the ETag; edit forms carry it).")
    )

    history = AuditTrailRecords(
        inherit=True,
        bases=[ChainedHistory],
        history_change_reason_field=models.TextField(null=True),
        cascade_delete_history=False,
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        reason = (getattr(self, "_change_reason", None) or "").strip()
        if not self._state.adding and not reason:
            raise reason_error()
        if self._state.adding and not reason:
            self._change_reason = INITIAL_ENTRY
        expected, self._expected_version = getattr(self, "_expected_version", None), None
        read_version = self.version
        with transaction.atomic(using=kwargs.get("using")):
            created = self._state.adding
            stored = None if created else self._stored_row(kwargs.get("using"))
            if stored is not None:
                if stored["version"] != read_version or (expected is not None and expected != stored["version"]):
                    raise EditConflict(
                        self, expected=read_version if expected is None else expected, current=stored["version"]
                    )
                if not self.changed_fields(stored):
                    self._change_reason = None
                    return  # nothing changed: nothing written, no history row
                self.version = stored["version"] + 1
                if kwargs.get("update_fields") is not None:
                    kwargs = {**kwargs, "update_fields": {*kwargs["update_fields"], "version", "updated_at"}}
            changed = self.changed_fields(stored)
            try:
                run_write_guards(self)
                super().save(*args, **kwargs)
                run_after_write(self, created=created, changed=changed)
            except BaseException:
                self.version = read_version
                raise
        self._change_reason = None  # a reason covers one write, never the next one

    def delete(self, *args, **kwargs):
        if not (getattr(self, "_change_reason", None) or "").strip():
            raise reason_error()
        with transaction.atomic(using=kwargs.get("using")):
            run_write_guards(self, deleting=True)
            return super().delete(*args, **kwargs)

    def _stored_row(self, using) -> dict | None:
        """The stored values of this record, locked until the end of the transaction."""
        manager = type(self)._base_manager.db_manager(using)
        attnames = [field.attname for field in self._compared_fields()]
        return manager.select_for_update().filter(pk=self.pk).values(*attnames, "version").first()

    @classmethod
    def _compared_fields(cls) -> list[models.Field]:
        return [field for field in cls._meta.concrete_fields if field.name not in BOOKKEEPING_FIELDS]

    def changed_fields(self, stored: dict | None) -> list[str]:
        """The attnames whose value differs from `stored` (all of them when there is none)."""
        fields = self._compared_fields()
        if stored is None:
            return [field.attname for field in fields]
        out = []
        for field in fields:
            try:
                mine = field.to_python(getattr(self, field.attname))
            except ValidationError:
                mine = object()
            if mine != stored[field.attname]:
                out.append(field.attname)
        return out


def audited_save(
    obj: AuditedModel,
    *,
    user,
    reason: str | None = None,
    validate: bool = True,
    expected_version: int | None = None,
) -> AuditedModel:
    """Validate and save `obj` in a transaction, recording `user` and `reason` in its history.

    `expected_version`: the version the caller read (a form's hidden field, an If-Match header);
    EditConflict when the stored record is at another one. Nothing is written when no value changed.
    """
    reason = (reason or "").strip()
    if not obj._state.adding and not reason:
        raise reason_error()
    with transaction.atomic():
        if validate:
            obj.full_clean()
        obj._history_user = user
        obj._change_reason = reason or INITIAL_ENTRY
        obj._expected_version = expected_version
        obj.save()
    return obj


def check_version(obj: AuditedModel, expected_version: int | None) -> None:
    """EditConflict unless `obj` (read under a lock) is at the version the caller read (None: no check)."""
    if expected_version is not None and obj.version != expected_version:
        raise EditConflict(obj, expected=expected_version, current=obj.version)


def audited_delete(obj: AuditedModel, *, user, reason: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise reason_error()
    with transaction.atomic():
        obj._history_user = user
        obj._change_reason = reason
        obj.delete()


def field_changes(new_record, old_record) -> list[tuple[str, object, object]]:
    """(field verbose name, old, new) for each field that differs between two history rows."""
    if old_record is None:
        return [
            (field.verbose_name, None, getattr(new_record, field.attname))
            for field in new_record.instance_type._meta.concrete_fields
            if field.name not in BOOKKEEPING_FIELDS
        ]
    delta = new_record.diff_against(old_record, excluded_fields=["created_at", "updated_at", "version"])
    meta = new_record.instance_type._meta
    return [(meta.get_field(change.field).verbose_name, change.old, change.new) for change in delta.changes]
