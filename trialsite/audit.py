"""The audit trail every clinical model stands on.

`AuditedModel` gives a model a django-simple-history table recording who, when (UTC), what
(a full row snapshot, so old -> new per field can be shown) and why (`reason_for_change`).
Writes go through `audited_save` / `audited_delete`: a first save is recorded as
"Initial entry"; a change or deletion of an existing record without a reason is refused with
a ValidationError on `reason_for_change`. The model's own save()/delete() enforce the same
rule, so no code path can write around it.
"""

from django.core.exceptions import ValidationError
from django.db import models, transaction
from simple_history.models import HistoricalRecords

INITIAL_ENTRY = "Initial entry"
REASON_MAX_LENGTH = 1000  # a reason for change is a sentence or a paragraph; input fields refuse more
REASON_REQUIRED = "A reason for change is required to change data that has already been saved."


def reason_error() -> ValidationError:
    return ValidationError({"reason_for_change": [REASON_REQUIRED]})


class AuditedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(
        inherit=True,
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
        super().save(*args, **kwargs)
        self._change_reason = None  # a reason covers one write, never the next one

    def delete(self, *args, **kwargs):
        if not (getattr(self, "_change_reason", None) or "").strip():
            raise reason_error()
        return super().delete(*args, **kwargs)


def audited_save(obj: AuditedModel, *, user, reason: str | None = None, validate: bool = True) -> AuditedModel:
    """Validate and save `obj` in a transaction, recording `user` and `reason` in its history."""
    reason = (reason or "").strip()
    if not obj._state.adding and not reason:
        raise reason_error()
    with transaction.atomic():
        if validate:
            obj.full_clean()
        obj._history_user = user
        obj._change_reason = reason or INITIAL_ENTRY
        obj.save()
    return obj


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
            if field.name not in {"id", "created_at", "updated_at"}
        ]
    delta = new_record.diff_against(old_record, excluded_fields=["created_at", "updated_at"])
    meta = new_record.instance_type._meta
    return [(meta.get_field(change.field).verbose_name, change.old, change.new) for change in delta.changes]
