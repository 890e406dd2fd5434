from decimal import Decimal

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from assessments import pasi
from assessments.services import ITEM_LABELS, REGION_LABELS, region_scores
from trialsite.audit import REASON_MAX_LENGTH
from trialsite.forms import IsoDateInput, VersionedForm


class PasiForm(VersionedForm, forms.Form):
    """The CRF PASI form: per-region items and area; PASI itself is derived, never a field here.

    `record`: the saved assessment of the visit, when there is one (it is then corrected).
    """

    assessment_date = forms.DateField(label=_("Assessment date"), widget=IsoDateInput())
    bsa_percent = forms.DecimalField(
        label=_("BSA %"), required=False, min_value=Decimal("0"), max_value=Decimal("100"), decimal_places=1
    )
    reason_for_change = forms.CharField(
        label=_("Reason for change"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=REASON_MAX_LENGTH,
    )

    def __init__(self, *args, record=None, **kwargs):
        if record is not None:
            kwargs.setdefault("initial", self.initial_from(record))
        super().__init__(*args, **kwargs)
        for region in pasi.REGIONS:
            label = REGION_LABELS[region]
            for item in pasi.ITEMS:
                self.fields[f"{region}_{item}"] = forms.IntegerField(
                    label=gettext("%(region)s %(item)s") % {"region": label, "item": ITEM_LABELS[item]},
                    min_value=0,
                    max_value=pasi.ITEM_MAX,
                )
            self.fields[f"{region}_area_percent"] = forms.DecimalField(
                label=gettext("%(region)s area %%") % {"region": label},
                required=False,
                min_value=Decimal("0"),
                max_value=Decimal("100"),
                decimal_places=1,
            )
            self.fields[f"{region}_area_score"] = forms.IntegerField(
                label=gettext("%(region)s area score (only when the %% is unknown)") % {"region": label},
                required=False,
                min_value=0,
                max_value=pasi.AREA_SCORE_MAX,
            )
        self.carry_version(record)

    def region_groups(self) -> list[tuple[str, str, list]]:
        """(region, label, bound fields) for the template."""
        names = [*(f"_{item}" for item in pasi.ITEMS), "_area_percent", "_area_score"]
        return [(region, REGION_LABELS[region], [self[region + n] for n in names]) for region in pasi.REGIONS]

    def clean(self):
        cleaned = super().clean()
        # The service's own region check, so every region problem shows at once, not one round at a time.
        _scores, _percents, errors = region_scores(self.regions())
        for field, messages in errors.items():
            if field in self.fields and field not in self.errors:
                self.add_error(field, messages)
        return cleaned

    def regions(self) -> dict[str, dict]:
        data = self.cleaned_data
        return {
            region: {
                **{item: data.get(f"{region}_{item}") for item in pasi.ITEMS},
                "area_percent": data.get(f"{region}_area_percent"),
                "area_score": data.get(f"{region}_area_score"),
            }
            for region in pasi.REGIONS
        }

    @staticmethod
    def initial_from(assessment) -> dict:
        initial = {"assessment_date": assessment.assessment_date, "bsa_percent": assessment.bsa_percent}
        for region in pasi.REGIONS:
            for suffix in (*(f"_{i}" for i in pasi.ITEMS), "_area_percent"):
                initial[region + suffix] = getattr(assessment, region + suffix)
            if getattr(assessment, f"{region}_area_percent") is None:
                initial[f"{region}_area_score"] = getattr(assessment, f"{region}_area_score")
        return initial
