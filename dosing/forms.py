from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dosing import dose
from dosing.models import Timepoint
from dosing.services import INFUSION_ENTERED_FIELDS, VITAL_VALUE_FIELDS
from trialsite.audit import REASON_MAX_LENGTH
from trialsite.forms import IsoDateTimeInput, VersionedForm

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


def _yes_no(label: str, *, required: bool = True) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        required=required,
        empty_value=None,
    )


class VitalSignsForm(VersionedForm, forms.Form):
    """CRF vital signs; ranges as in the CRF (the model enforces them again on save).

    `record`: the saved vital signs being corrected (None: a new time point).
    """

    timepoint = forms.ChoiceField(label=_("Timepoint"), choices=Timepoint.choices)
    measured_at = forms.DateTimeField(label=_("Measured at"), widget=IsoDateTimeInput())
    minutes_after_start = forms.IntegerField(
        label=_("Minutes after start"), required=False, min_value=1, help_text=_("During the infusion only.")
    )
    weight_kg = forms.DecimalField(
        label=_("Weight (kg)"), required=False, min_value=Decimal("30.0"), max_value=Decimal("200.0"), decimal_places=1
    )
    systolic_bp = forms.IntegerField(label=_("Systolic BP (mmHg)"), required=False, min_value=60, max_value=250)
    diastolic_bp = forms.IntegerField(label=_("Diastolic BP (mmHg)"), required=False, min_value=30, max_value=150)
    heart_rate = forms.IntegerField(label=_("Heart rate (/min)"), required=False, min_value=30, max_value=200)
    temperature_c = forms.DecimalField(
        label=_("Temperature (°C)"),
        required=False,
        min_value=Decimal("34.0"),
        max_value=Decimal("42.0"),
        decimal_places=1,
    )
    respiratory_rate = forms.IntegerField(label=_("Respiratory rate (/min)"), required=False, min_value=6, max_value=60)
    spo2_percent = forms.IntegerField(label=_("SpO₂ (%)"), required=False, min_value=50, max_value=100)
    reason_for_change = forms.CharField(
        label=_("Reason for change"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=REASON_MAX_LENGTH,
    )

    VALUE_FIELDS = VITAL_VALUE_FIELDS

    def __init__(self, *args, record=None, **kwargs):
        if record is not None:
            kwargs.setdefault("initial", self.initial_from(record))
        super().__init__(*args, **kwargs)
        self.carry_version(record)

    @staticmethod
    def initial_from(record) -> dict:
        initial = {name: getattr(record, name) for name in VITAL_VALUE_FIELDS}
        initial.update(
            timepoint=record.timepoint,
            measured_at=timezone.localtime(record.measured_at),
            minutes_after_start=record.minutes_after_start,
        )
        return initial

    def values(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.VALUE_FIELDS}


class MillionCellsField(forms.DecimalField):
    """Cells typed in ×10⁶ with one decimal (a missing zero is then hard to type); cleans to whole cells,
    as the model stores them."""

    def __init__(self, **kwargs):
        super().__init__(min_value=Decimal("0.1"), max_value=Decimal("10000"), decimal_places=1, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return dose.million_cells(value)
        return value

    def clean(self, value):
        millions = super().clean(value)
        return None if millions is None else int(millions * dose.MILLION)


class InfusionForm(VersionedForm, forms.Form):
    """CRF infusion; the planned dose is derived and shown, never a field.

    `record`: the recorded infusion of the visit, when there is one (it is then corrected).
    """

    product_lot = forms.CharField(label=_("Product lot"), max_length=40)
    viability_percent = forms.DecimalField(
        label=_("Viability (%)"), min_value=Decimal("0"), max_value=Decimal("100"), decimal_places=1
    )
    administered_cells = MillionCellsField(
        label=_("Administered viable cells (×10⁶)"),
        help_text=_("In millions, one decimal: 127.0 means 127,000,000 cells."),
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )
    thaw_time = forms.DateTimeField(label=_("Thaw time"), widget=IsoDateTimeInput())
    start_time = forms.DateTimeField(label=_("Start time"), widget=IsoDateTimeInput())
    end_time = forms.DateTimeField(label=_("End time"), widget=IsoDateTimeInput())
    volume_ml = forms.DecimalField(
        label=_("Volume (mL)"), min_value=Decimal("1"), max_value=Decimal("500"), decimal_places=1
    )
    whole_volume_given = _yes_no(_("Whole volume given"))
    volume_given_ml = forms.DecimalField(
        label=_("Volume given (mL), when not the whole volume"),
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("500"),
        decimal_places=1,
    )
    interrupted = _yes_no(_("Interrupted"))
    interruption_reason = forms.CharField(
        label=_("Interruption reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    deviation_reason = forms.CharField(
        label=_("Deviation reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the dose is outside the tolerance or the visit is outside its window."),
    )
    reason_for_change = forms.CharField(
        label=_("Reason for change"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=REASON_MAX_LENGTH,
    )

    SERVICE_FIELDS = INFUSION_ENTERED_FIELDS

    def __init__(self, *args, record=None, **kwargs):
        if record is not None:
            kwargs.setdefault("initial", self.initial_from(record))
        super().__init__(*args, **kwargs)
        self.carry_version(record)

    @staticmethod
    def initial_from(record) -> dict:
        initial = {name: getattr(record, name) for name in INFUSION_ENTERED_FIELDS}
        for name in ("thaw_time", "start_time", "end_time"):
            initial[name] = timezone.localtime(initial[name])
        initial["whole_volume_given"] = "yes" if record.whole_volume_given else "no"
        initial["interrupted"] = "yes" if record.interrupted else "no"
        return initial

    def service_kwargs(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.SERVICE_FIELDS}
