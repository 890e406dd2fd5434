"""Browser forms of the safety app; the consistency rules themselves run in services (rules.py)."""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Min
from django.utils.translation import gettext_lazy as _

from dosing.models import Infusion
from safety import rules
from safety.cutoff import BeforeFirstConsent, check_first_consent
from safety.models import AdverseEvent, Relationship, Reminder
from safety.services import AE_FIELDS
from signatures.forms import SignatureFields
from subjects.models import Participant, ParticipantStatus, Study
from subjects.sitetime import site_today
from trialsite.audit import REASON_MAX_LENGTH
from trialsite.filters import PageFilterForm, yes_no_filter
from trialsite.forms import IsoDateInput, IsoDateTimeInput, VersionedForm

YES_NO = [("", "—"), ("True", _("Yes")), ("False", _("No"))]


def yes_no_field(label: str, **kwargs) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO,
        coerce=lambda value: value in (True, "True"),
        empty_value=None,
        **kwargs,
    )


class AdverseEventForm(VersionedForm, forms.ModelForm):
    """The AE CRF. On edit `reason_for_change` is required and causality is locked for non-investigators."""

    expected = yes_no_field(_("Expected"))
    reason_for_change = forms.CharField(
        label=_("Reason for change"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=REASON_MAX_LENGTH,
    )

    class Meta:
        model = AdverseEvent
        fields = [f for f in AE_FIELDS if f != "expected"] + ["expected"]
        widgets = {
            # A date input takes ISO dates only: without the format a saved date showed as 30/11/2026,
            # which the browser drops, so an edit lost the onset date.
            "onset_date": IsoDateInput(),
            "end_date": IsoDateInput(),
            "awareness_time": IsoDateTimeInput(),
            "reported_to_sponsor_at": IsoDateTimeInput(),
        }
        labels = {"awareness_time": _("Investigator awareness time"), "grade": _("CTCAE v5.0 grade")}

    def __init__(self, *args, participant, may_assess: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.participant = participant
        self.editing = self.instance.pk is not None
        self.fields["infusion"].queryset = Infusion.objects.filter(participant=participant).order_by("infusion_number")
        self.fields["infusion"].required = False
        self.fields["grade"].widget = forms.Select(choices=[("", "—")] + [(g, str(g)) for g in range(1, 6)])
        if self.editing:
            self.fields["reason_for_change"].required = True
            if not may_assess:
                for name in ("relationship", "expected"):
                    self.fields[name].disabled = True
                    self.fields[name].help_text = _("Only an investigator can change this after the AE is recorded.")
        else:
            del self.fields["reason_for_change"]
        self.order_fields(list(AE_FIELDS) + ["reason_for_change"])
        self.carry_version(self.instance)

    def _post_clean(self):
        # The model is validated by the service (safety/rules.py messages, naming the fields), not
        # by the ModelForm's generic constraint check.
        pass

    def service_fields(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in AE_FIELDS}


class AssessmentForm(VersionedForm, SignatureFields, forms.Form):
    """The investigator's (re-)assessment of the AE `record` as it was read."""

    relationship = forms.ChoiceField(label=_("Relationship to UCMSCs"), choices=Relationship.choices)
    expected = yes_no_field(_("Expected"))
    reason = forms.CharField(
        label=_("Reason for (re-)assessment"), widget=forms.Textarea(attrs={"rows": 2}), max_length=REASON_MAX_LENGTH
    )

    def __init__(self, *args, record, **kwargs):
        kwargs.setdefault("initial", {"relationship": record.relationship, "expected": str(record.expected)})
        super().__init__(*args, **kwargs)
        self.carry_version(record)


class ReportedForm(VersionedForm, forms.Form):
    """When the SAE `record` was reported to the sponsor."""

    reported_to_sponsor_at = forms.DateTimeField(label=_("Reported to the sponsor at"), widget=IsoDateTimeInput())
    reason = forms.CharField(label=_("Reason for change"), required=False, max_length=REASON_MAX_LENGTH)

    def __init__(self, *args, record, **kwargs):
        super().__init__(*args, **kwargs)
        self.carry_version(record)


class HoldReleaseForm(VersionedForm, SignatureFields, forms.Form):
    """The release of the safety hold `record` as it was read."""

    reason = forms.CharField(
        label=_("Reason for release (e.g. the DMC review)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=REASON_MAX_LENGTH,
    )

    def __init__(self, *args, record, **kwargs):
        super().__init__(*args, **kwargs)
        self.carry_version(record)

    def initial_from(self, record) -> dict:
        return {}  # the release reason is new: nothing stored to show (the hold's own `reason` is another value)


class AdverseEventFilterForm(PageFilterForm):
    participant = forms.ModelChoiceField(queryset=Participant.objects.all(), required=False, label=_("Participant"))
    serious = forms.ChoiceField(
        required=False, choices=[("", "—"), ("yes", _("yes")), ("no", _("no"))], label=_("Serious")
    )


def cutoff_field() -> forms.DateField:
    return forms.DateField(
        label=_("Data cut-off"),
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=IsoDateInput,
        help_text=_("Figures as of the end of this day (site date); empty: today."),
    )


def valid_cutoff(day: date | None, study: Study) -> date | None:
    """A data cut-off date: not in the future (site date), not before the study's first consent."""
    day = cutoff_not_in_future(day, study)
    if day is not None:
        try:
            check_first_consent(day, Participant.objects.aggregate(first=Min("consent_date"))["first"])
        except BeforeFirstConsent as refused:
            raise first_consent_error(refused.first_consent) from None
    return day


def cutoff_not_in_future(day: date | None, study: Study) -> date | None:
    if day is not None and day > site_today(study):
        raise ValidationError(_("The data cut-off cannot be in the future."), code="future")
    return day


def first_consent_error(first_consent: date | None) -> ValidationError:
    if first_consent is None:
        return ValidationError(_("No participant has consented yet: there is nothing to cut off."), code="empty")
    return ValidationError(
        _("The data cut-off cannot be before the study's first consent (%(first)s)."),
        code="before_first_consent",
        params={"first": first_consent.isoformat()},
    )


class CutoffForm(forms.Form):
    """The DMC dashboard's data cut-off (GET ?cutoff=YYYY-MM-DD).

    The cut-off against the study's first consent is checked by the figures, which read the first
    consent with the participant counts (safety.dashboard.participant_figures): no query of its own."""

    cutoff = cutoff_field()

    def __init__(self, *args, study: Study, **kwargs):
        super().__init__(*args, **kwargs)
        self.study = study

    def clean_cutoff(self) -> date | None:
        return cutoff_not_in_future(self.cleaned_data.get("cutoff"), self.study)


class ListingFilterForm(PageFilterForm):
    """Every filter a DMC listing takes (safety.dashboard.listing reads those of its listing)."""

    status = forms.ChoiceField(required=False, choices=[("", "—"), *ParticipantStatus.choices])
    enrolled = yes_no_filter()
    on_hold = yes_no_filter()
    infusions = forms.IntegerField(required=False, min_value=0, max_value=99)
    grade = forms.TypedChoiceField(required=False, choices=[("", "—")] + [(str(g), str(g)) for g in range(1, 6)])
    serious = forms.ChoiceField(required=False, choices=[("", "—"), ("yes", _("yes")), ("no", _("no"))])
    relationship = forms.ChoiceField(required=False, choices=[("", "—"), *Relationship.choices])
    related = yes_no_filter()
    treatment_emergent = yes_no_filter()
    clock = forms.ChoiceField(required=False, choices=[("", "—"), *rules.CLOCK_LABELS.items()])
    open = yes_no_filter()
    visit = forms.ChoiceField(required=False)
    cutoff = cutoff_field()

    def __init__(self, *args, study, **kwargs):
        super().__init__(*args, **kwargs)
        self.study = study
        codes = study.visit_definitions.order_by("visitnum").values_list("code", flat=True)
        self.fields["visit"].choices = [("", "—")] + [(code, code) for code in codes]

    def clean_cutoff(self) -> date | None:
        return valid_cutoff(self.cleaned_data.get("cutoff"), self.study)


SHOW_CHOICES = {"open": False, "acknowledged": True, "all": None}  # reminders shown: acknowledged by you?


class ReminderFilterForm(PageFilterForm):
    show = forms.ChoiceField(required=False, choices=[(name, name) for name in SHOW_CHOICES])
    kind = forms.ChoiceField(required=False, choices=[("", "—"), *Reminder.Kind.choices])


class CodingQueueFilterForm(PageFilterForm):
    """The coding queue: uncoded AEs by default, or every AE with its coding."""

    show = forms.ChoiceField(
        required=False,
        choices=[("uncoded", _("Uncoded")), ("all", _("All adverse events"))],
        label=_("Show"),
    )


class TermSearchForm(forms.Form):
    search = forms.CharField(required=False, max_length=100, label=_("Search MedDRA terms"))


class CodeForm(VersionedForm, forms.Form):
    """Code (or re-code) an AE to a lowest level term of the active release, with a reason."""

    llt_code = forms.IntegerField(min_value=1, label=_("Lowest level term code"))
    reason_for_change = forms.CharField(
        max_length=REASON_MAX_LENGTH, label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, record=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.carry_version(record)
