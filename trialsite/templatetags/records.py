"""Record types (trialsite.records) as people read them."""

from django import template
from django.utils.text import capfirst

from trialsite.records import RECORD_TYPES

register = template.Library()


@register.filter
def record_type_label(name: str) -> str:
    """A record type ("pasi_assessment") as people read it: its form's name in their language."""
    rt = RECORD_TYPES.get(name)
    return capfirst(rt.model_class()._meta.verbose_name) if rt else name
