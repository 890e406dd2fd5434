from django import forms
from django.utils.translation import gettext_lazy as _

from labs import catalogue
from labs.models import UNSCHEDULED, NormalRange
from labs.services import SCHEDULED_VISITS
from trialsite.audit import REASON_MAX_LENGTH
from trialsite.forms import VersionedForm

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
SIGNIFICANCE = [("", "—"), ("yes", _("Yes")), ("no", _("No"))]


def _significance() -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=_("Clinically significant"),
        choices=SIGNIFICANCE,
        coerce=lambda value: value == "yes",
        required=False,
        empty_value=None,
        help_text=_("Investigator's judgement, for a value outside the normal range."),
    )


def _unit_choices(test: catalogue.LabTest) -> list[tuple[str, str]]:
    return [(unit, catalogue.UNIT_LABELS[unit]) for unit in test.units]


class LabPanelForm(forms.Form):
    """A new panel: its visit, collection time and, per test, value and unit (or why not done)."""

    visit_code = forms.ChoiceField(
        label=_("Visit"), choices=[(code, code) for code in SCHEDULED_VISITS] + [(UNSCHEDULED, _("Unscheduled"))]
    )
    collected_at = forms.DateTimeField(label=_("Collected at"), widget=DATETIME_WIDGET)

    def __init__(self, *args, may_judge: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.may_judge = may_judge
        for test in catalogue.LAB_TESTS:
            self.fields[f"{test.code}_value"] = forms.DecimalField(
                label=_(test.label), required=False, min_value=0, decimal_places=4, max_digits=12
            )
            self.fields[f"{test.code}_unit"] = forms.ChoiceField(
                label=_("Unit"), choices=_unit_choices(test), required=False
            )
            self.fields[f"{test.code}_not_done_reason"] = forms.CharField(
                label=_("Not done because"), required=False, max_length=200
            )
            self.fields[f"{test.code}_clinically_significant"] = _significance()
            self.fields[f"{test.code}_clinically_significant"].disabled = not may_judge

    def test_rows(self):
        return [
            {
                "test": test,
                "fields": [self[f"{test.code}_{name}"] for name in ("value", "unit", "not_done_reason")],
                "significant": self[f"{test.code}_clinically_significant"],
            }
            for test in catalogue.LAB_TESTS
        ]

    def results(self) -> dict[str, dict]:
        """The tests entered (a value or a reason), as the service takes them."""
        data = self.cleaned_data
        out = {}
        for test in catalogue.LAB_TESTS:
            value, reason = data.get(f"{test.code}_value"), data.get(f"{test.code}_not_done_reason")
            if value is None and not reason:
                continue
            out[test.code] = {
                "value": value,
                "unit": data.get(f"{test.code}_unit") or test.standard_unit,
                "not_done_reason": reason,
                "clinically_significant": data.get(f"{test.code}_clinically_significant"),
            }
        return out


class LabResultForm(VersionedForm, forms.Form):
    """Correct a saved result (a reason for change is required)."""

    value = forms.DecimalField(label=_("Value"), required=False, min_value=0, decimal_places=4, max_digits=12)
    unit = forms.ChoiceField(label=_("Unit"), required=False)
    not_done_reason = forms.CharField(label=_("Not done because"), required=False, max_length=200)
    clinically_significant = _significance()
    reason_for_change = forms.CharField(
        label=_("Reason for change"), widget=forms.Textarea(attrs={"rows": 2}), max_length=REASON_MAX_LENGTH
    )

    def __init__(self, *args, record, may_judge: bool = False, **kwargs):
        kwargs.setdefault("initial", self.initial_from(record))
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = _unit_choices(record.test)
        if not may_judge:
            self.fields["clinically_significant"].disabled = True
            self.fields["clinically_significant"].help_text = _("Only an investigator judges clinical significance.")
        self.carry_version(record)

    @staticmethod
    def initial_from(record) -> dict:
        significant = record.clinically_significant
        return {
            "value": record.value,
            "unit": record.unit or record.test.standard_unit,
            "not_done_reason": record.not_done_reason,
            "clinically_significant": "" if significant is None else ("yes" if significant else "no"),
        }


class NormalRangeForm(forms.ModelForm):
    reason_for_change = forms.CharField(
        label=_("Reason (source of the range)"), required=False, max_length=REASON_MAX_LENGTH
    )

    class Meta:
        model = NormalRange
        fields = ["test_code", "sex", "age_from", "age_to", "effective_from", "lln", "uln"]
        widgets = {"effective_from": forms.DateInput(attrs={"type": "date"})}

    def _post_clean(self):
        pass  # validated by the service (overlaps, LLN below ULN)
