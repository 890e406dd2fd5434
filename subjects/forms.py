"""Browser forms of the subjects app: they parse input; the services in services.py decide."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from signatures.forms import SignatureFields
from subjects import eligibility, services
from subjects.models import Ethnicity, ParticipantStatus, Race, Sex, Study
from trialsite.audit import REASON_MAX_LENGTH
from trialsite.filters import PageFilterForm
from trialsite.forms import IsoDateInput, VersionedForm

YES_NO = (("yes", _("Yes")), ("no", _("No")))


class ReasonMixin:
    """Adds the required `reason_for_change` field when the form edits saved data."""

    def add_reason(self, required: bool) -> None:
        if required:
            self.fields["reason_for_change"] = forms.CharField(
                max_length=REASON_MAX_LENGTH,
                label=_("Reason for change"),
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=_("Required: this changes data that has already been saved (audit trail)."),
            )

    @property
    def reason(self) -> str | None:
        return self.cleaned_data.get("reason_for_change") or None


class RegistrationForm(VersionedForm, ReasonMixin, forms.Form):
    """Registration, or (with `record`, the participant) its correction."""

    initials = forms.CharField(max_length=4, label=_("Initials"), help_text=_("2–4 capital letters, e.g. ZLW."))
    sex = forms.ChoiceField(choices=Sex.choices, label=_("Sex"))
    date_of_birth = forms.DateField(widget=IsoDateInput(), label=_("Date of birth"))
    race = forms.ChoiceField(
        choices=[("", _("Not collected"))] + Race.choices, required=False, label=_("Race"), help_text=_("Optional.")
    )
    ethnicity = forms.ChoiceField(
        choices=[("", _("Not collected"))] + Ethnicity.choices,
        required=False,
        label=_("Ethnicity"),
        help_text=_("Optional."),
    )
    consent_date = forms.DateField(widget=IsoDateInput(), label=_("Informed consent date"))
    consent_version = forms.CharField(max_length=20, label=_("Consent version"), help_text=_("e.g. 1.0"))

    def __init__(self, *args, record=None, **kwargs):
        if record is not None:
            kwargs.setdefault("initial", self.initial_from(record))
        super().__init__(*args, **kwargs)
        self.add_reason(record is not None)
        self.carry_version(record)

    FIELDS = ("initials", "sex", "date_of_birth", "race", "ethnicity", "consent_date", "consent_version")

    @staticmethod
    def initial_from(participant) -> dict:
        return {name: getattr(participant, name) for name in RegistrationForm.FIELDS}

    @property
    def values(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.FIELDS}


class YesNoField(forms.TypedChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            choices=YES_NO,
            coerce=lambda value: value == "yes",
            widget=forms.RadioSelect,
            empty_value=None,
            **kwargs,
        )


class ScreeningForm(VersionedForm, ReasonMixin, forms.Form):
    screening_date = forms.DateField(widget=IsoDateInput(), label=_("Screening date"))
    planned_day1_date = forms.DateField(widget=IsoDateInput(), label=_("Planned Day 1"))
    # The model's ranges again here, so an out-of-range value shows with every other error at once.
    weight_kg = forms.DecimalField(
        max_digits=5,
        decimal_places=1,
        min_value=Decimal("30.0"),
        max_value=Decimal("200.0"),
        label=_("Weight (kg)"),
        help_text="30.0 – 200.0",
    )
    height_cm = forms.DecimalField(
        max_digits=4,
        decimal_places=1,
        min_value=Decimal("120.0"),
        max_value=Decimal("220.0"),
        label=_("Height (cm)"),
        help_text="120.0 – 220.0",
    )
    bsa_percent = forms.DecimalField(
        max_digits=4,
        decimal_places=1,
        min_value=Decimal("0.0"),
        max_value=Decimal("100.0"),
        label="BSA (%)",
        help_text="0.0 – 100.0",
    )

    def __init__(self, *args, record=None, **kwargs):
        """`record`: the saved screening form, when there is one (a change then needs a reason)."""
        if record is not None:
            kwargs.setdefault("initial", self.initial_from(record))
        super().__init__(*args, **kwargs)
        for key, label in eligibility.EXCLUSION_ITEMS:
            self.fields[key] = YesNoField(label=_(label))  # the English label is also the SDTM IETEST
        self.add_reason(record is not None)
        self.carry_version(record)

    @property
    def values(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in services.SCREENING_FIELDS}

    def preview_values(self) -> dict:
        """Whatever parsed cleanly so far (the live eligibility preview works on partial input)."""
        self.is_valid()
        return {name: self.cleaned_data.get(name) for name in services.SCREENING_FIELDS}

    @staticmethod
    def initial_from(screening) -> dict:
        initial = {name: getattr(screening, name) for name in services.SCREENING_FIELDS}
        for key in eligibility.EXCLUSION_KEYS:
            initial[key] = "yes" if initial[key] else "no"
        return initial

    def exclusion_fields(self):
        return [self[key] for key in eligibility.EXCLUSION_KEYS]

    def measure_fields(self):
        return [self[name] for name in services.SCREENING_FIELDS if name not in eligibility.EXCLUSION_KEYS]


class SignoffForm(VersionedForm, SignatureFields, forms.Form):
    """The sign-off of the screening form `record` as it was read."""

    def __init__(self, *args, record, **kwargs):
        super().__init__(*args, **kwargs)
        self.carry_version(record)


class WithdrawForm(VersionedForm, forms.Form):
    withdrawal_date = forms.DateField(widget=IsoDateInput(), label=_("Withdrawal date"))
    withdrawal_reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label=_("Withdrawal reason"))

    def __init__(self, *args, record, **kwargs):
        super().__init__(*args, **kwargs)
        self.carry_version(record)

    @property
    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in ("withdrawal_date", "withdrawal_reason")}


class VisitForm(VersionedForm, ReasonMixin, forms.Form):
    actual_date = forms.DateField(widget=IsoDateInput(), required=False, label=_("Actual date"))
    deviation_reason = forms.CharField(
        required=False,
        label=_("Deviation reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the actual date is outside the window."),
    )
    not_done_reason = forms.CharField(
        required=False,
        label=_("Not done — reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Fill in only if the visit did not take place (leave the actual date empty)."),
    )

    def __init__(self, *args, record, **kwargs):
        """`record`: the visit; a visit with data already needs a reason to change it."""
        kwargs.setdefault("initial", self.initial_from(record))
        super().__init__(*args, **kwargs)
        self.add_reason(bool(record.actual_date or record.not_done_reason or record.deviation_reason))
        self.carry_version(record)

    @staticmethod
    def initial_from(visit) -> dict:
        return {name: getattr(visit, name) for name in ("actual_date", "not_done_reason", "deviation_reason")}


class ParticipantFilterForm(PageFilterForm):
    q = forms.CharField(required=False, label=_("Search"), help_text=_("Screening number, subject ID or initials"))
    status = forms.ChoiceField(
        required=False, label=_("Status"), choices=[("", _("All statuses")), *ParticipantStatus.choices]
    )


class StudyForm(VersionedForm, ReasonMixin, forms.ModelForm):
    class Meta:
        model = Study
        fields = list(services.STUDY_FIELDS)

    def __init__(self, *args, editable_fields=(), **kwargs):
        super().__init__(*args, **kwargs)
        for name in list(self.fields):
            if name not in editable_fields:
                del self.fields[name]
        self.add_reason(True)
        self.carry_version(self.instance)

    @property
    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields if name not in ("reason_for_change", "version")}
