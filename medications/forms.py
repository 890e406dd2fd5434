from django import forms
from django.utils.translation import gettext_lazy as _

from medications.models import ConcomitantMedication, MedicalHistory, WashoutOverride
from trialsite.audit import REASON_MAX_LENGTH
from trialsite.forms import VersionedForm

PARTIAL_HELP = _("YYYY-MM-DD, or YYYY-MM / YYYY when only that is known.")


class ConcomitantMedicationForm(VersionedForm, forms.ModelForm):
    """CRF concomitant medication; `record`: the saved one being corrected (None: a new one)."""

    reason_for_change = forms.CharField(
        label=_("Reason for change"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=REASON_MAX_LENGTH,
    )

    class Meta:
        model = ConcomitantMedication
        fields = [
            "medication",
            "medication_class",
            "indication",
            "dose",
            "dose_unit",
            "frequency",
            "route",
            "start_date",
            "end_date",
            "ongoing",
        ]

    def __init__(self, *args, record=None, **kwargs):
        super().__init__(*args, instance=record, **kwargs)
        self.fields["start_date"].help_text = _("Empty: started before the collection period. ") + PARTIAL_HELP
        self.fields["end_date"].help_text = PARTIAL_HELP
        if record is None:
            del self.fields["reason_for_change"]
        else:
            self.fields["reason_for_change"].required = True
        self.carry_version(record)

    def _post_clean(self):
        pass  # validated by the service (medications.rules messages, naming the fields)

    def values(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.Meta.fields}


class MedicalHistoryForm(VersionedForm, forms.ModelForm):
    """CRF medical history item; `record`: the saved one being corrected (None: a new one)."""

    reason_for_change = forms.CharField(
        label=_("Reason for change"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=REASON_MAX_LENGTH,
    )

    class Meta:
        model = MedicalHistory
        fields = ["category", "term", "psoriasis_type", "therapy_type", "start_date", "end_date", "ongoing"]

    def __init__(self, *args, record=None, **kwargs):
        super().__init__(*args, instance=record, **kwargs)
        self.fields["start_date"].help_text = _("Year of diagnosis for the psoriasis. ") + PARTIAL_HELP
        self.fields["end_date"].help_text = _("Last dose date for a prior therapy. ") + PARTIAL_HELP
        if record is None:
            del self.fields["reason_for_change"]
        else:
            self.fields["reason_for_change"].required = True
        self.carry_version(record)

    def _post_clean(self):
        pass  # validated by the service

    def values(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.Meta.fields}


class WashoutOverrideForm(forms.ModelForm):
    class Meta:
        model = WashoutOverride
        fields = ["item", "value", "reason"]
        widgets = {"reason": forms.Textarea(attrs={"rows": 2})}

    def _post_clean(self):
        pass  # validated by the service
