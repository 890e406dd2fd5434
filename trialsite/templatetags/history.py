"""The history icon beside a field of a saved record: a link to that field's changes."""

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

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


@register.simple_tag
def history_link(record, field_name: str) -> str:
    """The 🕘 link to the changes of `field_name` of `record`, for the fact lists of record pages."""
    url = field_history_url(record, field_name)
    if not url:
        return ""
    label = _("History of %(field)s") % {"field": type(record)._meta.get_field(field_name).verbose_name}
    return format_html(
        ' <a class="history-link" href="{}" title="{}"><span aria-hidden="true">🕘</span>'
        '<span class="visually-hidden">{}</span></a>',
        url,
        label,
        label,
    )
