from django import template

from trialsite.templatetags.numbers import grouped

register = template.Library()


@register.filter
def cells(value) -> str:
    """An integer count of cells grouped in thousands as the locale does (127,000,000 in English)."""
    if value is None or value == "":
        return "—"
    return grouped(int(value))
