"""The history icon beside a field of a saved record: a link to that field's changes."""

from django import template
from django.urls import NoReverseMatch, reverse

from trialsite.records import record_type_of

register = template.Library()


@register.simple_tag
def field_history_url(record, field_name: str) -> str:
    """The URL of the changes of `field_name` of the saved CRF `record` ("" when there is none)."""
    if record is None or getattr(record, "pk", None) is None:
        return ""
    record_type = record_type_of(record)
    if record_type is None or field_name not in {f.name for f in type(record)._meta.concrete_fields}:
        return ""
    try:
        return reverse("field_history", args=[record_type.name, record.pk, field_name])
    except NoReverseMatch:
        return ""
