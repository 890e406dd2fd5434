from django import template

from dosing import dose
from trialsite.templatetags.numbers import grouped

register = template.Library()


@register.filter
def cells(value) -> str:
    """An integer count of cells grouped in thousands as the locale does (127,000,000 in English)."""
    if value is None or value == "":
        return "—"
    return grouped(int(value))


@register.filter
def million_cells(value) -> str:
    """Cells in ×10⁶ as the infusion form takes them (127000000 → 127.0)."""
    if value is None or value == "":
        return "—"
    return grouped(dose.million_cells(int(value)))
