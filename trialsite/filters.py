"""A page's query parameters, parsed by a form: no page reads request.GET directly.

Invalid input is answered with the page itself, a message naming what is wrong and status 400 (and
nothing listed), so a bad link or an edited URL is a clear error, never a 500: a NUL byte or a word
where a number belongs never reaches SQL.
"""

from django import forms
from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

MAX_PAGE = 1_000_000
# The labels of "true"/"false"/"1"/"0" are the values a link may carry, so they stay as they are.
YES_NO = [("", "—"), ("yes", _("yes")), ("no", _("no")), ("true", "true"), ("false", "false"), ("1", "1"), ("0", "0")]


class PageFilterForm(forms.Form):
    """The query parameters every paginated page takes; pages add their filters."""

    # Bounded: a page number becomes an SQL OFFSET (page x page size), which must fit in a bigint.
    page = forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE)


def yes_no_filter(**kwargs) -> forms.ChoiceField:
    return forms.ChoiceField(required=False, choices=YES_NO, **kwargs)


def filters_from(request: HttpRequest, form_class: type[forms.Form], **kwargs) -> tuple[forms.Form, int]:
    """The bound filter form and the status of the page: 200, or 400 with an error message queued
    for the page (base.html shows it) when a parameter is not valid."""
    form = form_class(request.GET, **kwargs)
    if form.is_valid():
        return form, 200
    details = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
    messages.error(
        request, gettext("The filters are not valid, so nothing is listed (%(details)s)") % {"details": details}
    )
    return form, 400
