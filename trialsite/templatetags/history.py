"""The history link beside a field of a saved record: a link to that field's changes."""

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from trialsite.records import record_type_of

register = template.Library()


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


# A clock drawn in the text's colour: an emoji clock needs a font that not every browser has.
CLOCK = mark_safe(
    '<svg class="icon" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" focusable="false">'
    '<circle cx="8" cy="8" r="6.5" fill="none" stroke="currentColor" stroke-width="1.5"/>'
    '<path d="M8 4.5V8l2.5 1.5" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round"/></svg>'
)


@register.simple_tag
def history_link(record, field_name: str, label: str = "") -> str:
    """The clock link to the changes of `field_name` of `record` ("" when it has none), named by
    `label` (the form's label) or the field's own name."""
    url = field_history_url(record, field_name)
    if not url:
        return ""
    label = label or type(record)._meta.get_field(field_name).verbose_name
    text = _("History of %(field)s") % {"field": label}
    return format_html(
        ' <a class="history-link" href="{}" title="{}">{}<span class="visually-hidden">{}</span></a>',
        url,
        text,
        CLOCK,
        text,
    )
