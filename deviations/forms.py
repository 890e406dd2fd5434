from django import forms
from django.utils.translation import gettext_lazy as _

from deviations.models import ProtocolDeviation
from subjects.models import Participant
from trialsite.audit import REASON_MAX_LENGTH
from trialsite.filters import PageFilterForm
from trialsite.forms import VersionedForm


class DeviationFilterForm(PageFilterForm):
    participant = forms.ModelChoiceField(
        queryset=Participant.objects.all(), to_field_name="screening_number", required=False
    )


class DeviationForm(VersionedForm, forms.ModelForm):
    reason_for_change = forms.CharField(
        label=_("Reason for change"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=REASON_MAX_LENGTH,
    )

    class Meta:
        model = ProtocolDeviation
        fields = ["category", "deviation_date", "description"]
        widgets = {
            "deviation_date": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, record=None, **kwargs):
        super().__init__(*args, instance=record, **kwargs)
        if record is None:
            del self.fields["reason_for_change"]
        else:
            self.fields["reason_for_change"].required = True
        self.carry_version(record)

    def _post_clean(self):
        pass  # validated by the service
