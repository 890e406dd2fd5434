from django import template

register = template.Library()


@register.filter
def cells(value) -> str:
    """An integer count of cells with space thousands separators (127 000 000)."""
    if value is None or value == "":
        return "—"
    return f"{int(value):,}".replace(",", " ")
