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
    """An override of one derived exclusion item. `seen` carries, hidden, the version of each item's override
    the page showed (none: 0), so that saving over an override someone saved meanwhile is refused."""

    seen = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = WashoutOverride
        fields = ["item", "value", "reason"]
        widgets = {"reason": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, overrides=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seen"].initial = seen_versions(overrides)

    def clean_seen(self) -> dict[str, int]:
        seen = {}
        for part in self.cleaned_data["seen"].split():
            item, _sep, version = part.partition(":")
            if not version.isdigit():
                raise forms.ValidationError(_("Reload the page: it was not read completely."))
            seen[item] = int(version)
        return seen

    @property
    def expected_version(self) -> int:
        """The version of the chosen item's override when the page was read (0: there was none)."""
        return self.cleaned_data["seen"].get(self.cleaned_data["item"], 0)

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def _post_clean(self):
        pass  # validated by the service


def seen_versions(overrides) -> str:
    return " ".join(f"{override.item}:{override.version}" for override in overrides)
