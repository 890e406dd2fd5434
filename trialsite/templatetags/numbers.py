"""Numbers on pages: grouped in thousands by the active locale's separator (127,000,000 in English)."""

from django import template
from django.utils.formats import get_format
from django.utils.numberformat import format as number_format

register = template.Library()


@register.filter
def grouped(value) -> str:
    """`value` (an int, Decimal or numeric string) with the locale's thousands separators; "—" when empty."""
    if value is None or value == "":
        return "—"
    return number_format(
        value,
        decimal_sep=get_format("DECIMAL_SEPARATOR"),
        grouping=get_format("NUMBER_GROUPING"),
        thousand_sep=get_format("THOUSAND_SEPARATOR"),
        force_grouping=True,
    )
