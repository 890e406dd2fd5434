"""Finding CRF records through the registry (trialsite.records), whatever their type."""

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from trialsite.records import RECORD_TYPES, RecordType, record_type_of


def record_type_named(name: str) -> RecordType:
    try:
        return RECORD_TYPES[name]
    except KeyError:
        known = ", ".join(sorted(RECORD_TYPES))
        message = _("Unknown record type '%(name)s'; one of: %(known)s.") % {"name": name, "known": known}
        raise ValidationError({"record_type": [message]}) from None


def record_get(record_type: str, record_id) -> Model:
    rt = record_type_named(record_type)
    try:
        return rt.model_class()._default_manager.get(pk=record_id)
    except (rt.model_class().DoesNotExist, ValueError, TypeError):
        message = _("No %(type)s with id %(id)s.") % {"type": record_type, "id": record_id}
        raise ValidationError({"record_id": [message]}) from None


def id_along(obj: Model, path: str | None):
    """The primary key at the end of a registry path, without loading the last object."""
    if path is None:
        return None
    if path == "":
        return obj.pk
    *through, last = path.split(".")
    for part in through:
        obj = getattr(obj, part)
    return getattr(obj, f"{last}_id")


def participant_id_of(obj: Model):
    rt = record_type_of(obj)
    return id_along(obj, rt.participant) if rt else None


def visit_id_of(obj: Model):
    rt = record_type_of(obj)
    return id_along(obj, rt.visit) if rt else None


def _lookup(path: str) -> str:
    return "pk" if path == "" else path.replace(".", "__")


def records_of_participant(rt: RecordType, participant_id) -> QuerySet:
    return rt.model_class()._default_manager.filter(**{_lookup(rt.participant): participant_id})


def records_of_visit(rt: RecordType, visit_id) -> QuerySet | None:
    """The records of `rt` at a visit, None when the type is not visit-bound."""
    if rt.visit is None:
        return None
    return rt.model_class()._default_manager.filter(**{_lookup(rt.visit): visit_id})


def field_names(rt: RecordType) -> set[str]:
    return {f.name for f in rt.model_class()._meta.concrete_fields}
