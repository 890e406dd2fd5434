from django import forms
from django.contrib.auth import get_user_model
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from datamanagement.models import QueryState
from trialsite.audit import REASON_MAX_LENGTH
from trialsite.filters import PageFilterForm
from trialsite.records import RECORD_TYPES
from trialsite.roles import Role


def _record_type_choices() -> list[tuple[str, str]]:
    """Each record type by its form's name, in the reader's language (the value stays the code)."""
    return [(name, capfirst(rt.model_class()._meta.verbose_name)) for name, rt in RECORD_TYPES.items()]


class QueryFilterForm(PageFilterForm):
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("Open or answered")), ("all", _("All")), *QueryState.choices]
    )
    participant = forms.CharField(label=_("Participant"), required=False, max_length=12)
    visit = forms.CharField(label=_("Visit"), required=False, max_length=4)
    record_type = forms.ChoiceField(
        label=_("Form"), required=False, choices=lambda: [("", _("Any")), *_record_type_choices()]
    )
    assignee = forms.CharField(label=_("Assignee"), required=False, max_length=150)
    older_than_days = forms.IntegerField(label=_("Older than (days)"), required=False, min_value=0, max_value=36500)


def answerers():
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[Role.COORDINATOR, Role.INVESTIGATOR])
        .order_by("username")
    )


class QueryRaiseForm(forms.Form):
    field = forms.ChoiceField(label=_("Field"), required=False)
    text = forms.CharField(label=_("Question"), widget=forms.Textarea(attrs={"rows": 3}), max_length=REASON_MAX_LENGTH)
    assignee = forms.ModelChoiceField(label=_("Assign to"), queryset=None, required=False, to_field_name="username")

    def __init__(self, *args, field_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = [("", _("The record as a whole")), *field_choices]
        self.fields["assignee"].queryset = answerers().distinct()


class QueryActionForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in ("answer", "close", "cancel", "reopen")])
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 2}), max_length=REASON_MAX_LENGTH)


class LockForm(forms.Form):
    action = forms.ChoiceField(choices=[("lock", "lock"), ("unlock", "unlock")])
    reason = forms.CharField(label=_("Reason"), required=False, max_length=REASON_MAX_LENGTH)
    override_open_queries = forms.BooleanField(label=_("Lock despite open queries"), required=False)
