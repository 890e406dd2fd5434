from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from trialsite.audit import AuditedModel

ITEM_VALIDATORS = [MinValueValidator(0), MaxValueValidator(4)]
AREA_PERCENT_VALIDATORS = [MinValueValidator(Decimal("0.0")), MaxValueValidator(Decimal("100.0"))]
AREA_SCORE_VALIDATORS = [MinValueValidator(0), MaxValueValidator(6)]


# The verbose names of the region fields (as Django derived them from the names), translatable.
REGION_FIELD_NAMES = {
    "head_erythema": _("head erythema"),
    "head_induration": _("head induration"),
    "head_desquamation": _("head desquamation"),
    "head_area_percent": _("head area percent"),
    "head_area_score": _("head area score"),
    "upper_limbs_erythema": _("upper limbs erythema"),
    "upper_limbs_induration": _("upper limbs induration"),
    "upper_limbs_desquamation": _("upper limbs desquamation"),
    "upper_limbs_area_percent": _("upper limbs area percent"),
    "upper_limbs_area_score": _("upper limbs area score"),
    "trunk_erythema": _("trunk erythema"),
    "trunk_induration": _("trunk induration"),
    "trunk_desquamation": _("trunk desquamation"),
    "trunk_area_percent": _("trunk area percent"),
    "trunk_area_score": _("trunk area score"),
    "lower_limbs_erythema": _("lower limbs erythema"),
    "lower_limbs_induration": _("lower limbs induration"),
    "lower_limbs_desquamation": _("lower limbs desquamation"),
    "lower_limbs_area_percent": _("lower limbs area percent"),
    "lower_limbs_area_score": _("lower limbs area score"),
}


def _region_fields(region: str) -> dict[str, models.Field]:
    return {
        f"{region}_erythema": models.PositiveSmallIntegerField(
            REGION_FIELD_NAMES[f"{region}_erythema"], validators=ITEM_VALIDATORS
        ),
        f"{region}_induration": models.PositiveSmallIntegerField(
            REGION_FIELD_NAMES[f"{region}_induration"], validators=ITEM_VALIDATORS
        ),
        f"{region}_desquamation": models.PositiveSmallIntegerField(
            REGION_FIELD_NAMES[f"{region}_desquamation"], validators=ITEM_VALIDATORS
        ),
        f"{region}_area_percent": models.DecimalField(
            REGION_FIELD_NAMES[f"{region}_area_percent"],
            max_digits=4,
            decimal_places=1,
            null=True,
            blank=True,
            validators=AREA_PERCENT_VALIDATORS,
        ),
        f"{region}_area_score": models.PositiveSmallIntegerField(
            REGION_FIELD_NAMES[f"{region}_area_score"], validators=AREA_SCORE_VALIDATORS
        ),
    }


class PasiAssessment(AuditedModel):
    """One PASI per visit (CRF "PASI assessment", SDTM RS). `pasi_total` is derived by pasi.py.

    The area is entered as a percentage (the score is then derived from it) or, when only the
    score is known, as a score with the percentage left empty.

    Derived and stored with the form, never entered (set on every save, see derive()):
    `visit_code`, the code of its visit (fixed: an assessment never moves to another visit), and
    `improvement_percent`, pasi.improvement_percent against the participant's baseline PASI (none at
    the baseline visits, pasi.is_after_baseline);
    assessments.services.baseline_refresh re-derives every assessment of the participant when
    that baseline changes (each change with its own history record). Reading them
    back needs neither the visit nor the baseline, so study-wide figures (the DMC dashboard's mean
    improvement by visit) are one scan of this table.
    """

    participant = models.ForeignKey(
        "subjects.Participant", verbose_name=_("participant"), on_delete=models.PROTECT, related_name="pasi_assessments"
    )
    visit = models.OneToOneField(
        "subjects.Visit", verbose_name=_("visit"), on_delete=models.PROTECT, related_name="pasi_assessment"
    )
    visit_code = models.CharField(_("visit code"), max_length=4, editable=False)
    assessment_date = models.DateField(
        _("assessment date"),
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assessor"), on_delete=models.PROTECT, related_name="+"
    )
    bsa_percent = models.DecimalField(
        _("bsa percent"), max_digits=4, decimal_places=1, null=True, blank=True, validators=AREA_PERCENT_VALIDATORS
    )
    locals().update(_region_fields("head"))
    locals().update(_region_fields("upper_limbs"))
    locals().update(_region_fields("trunk"))
    locals().update(_region_fields("lower_limbs"))
    pasi_total = models.DecimalField(
        _("pasi total"),
        max_digits=3,
        decimal_places=1,
        editable=False,
        validators=[MinValueValidator(Decimal("0.0")), MaxValueValidator(Decimal("72.0"))],
    )
    # From 100.0 (clear) down to -71900.0 (baseline 0.1, PASI 72.0); None without a baseline above 0.
    improvement_percent = models.DecimalField(
        _("improvement percent"), max_digits=7, decimal_places=1, null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("PASI assessment")
        verbose_name_plural = _("PASI assessments")
        ordering = ["participant_id", "visit__visitnum"]
        indexes = [
            # The mean improvement by visit (safety.dashboard.pasi) reads this index alone (PostgreSQL:
            # an index-only scan; SQLite has no INCLUDE and indexes visit_code).
            models.Index(fields=["visit_code"], include=["improvement_percent"], name="pasi_visit_improvement"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pasi_total__gte=0) & models.Q(pasi_total__lte=72), name="pasi_total_range"
            ),
            models.CheckConstraint(
                condition=models.Q(improvement_percent__lte=100), name="pasi_improvement_at_most_100"
            ),
        ]

    def __str__(self) -> str:
        return f"PASI {self.visit}: {self.pasi_total}"

    def derive(self) -> None:
        """Set the stored derived values from the visit and the participant's baseline PASI (as
        held by `self.participant`: the services pass the participant they have just read)."""
        from assessments.pasi import improvement_percent, is_after_baseline

        self.visit_code = self.visit.visit_code
        self.improvement_percent = (
            improvement_percent(self.participant.baseline_pasi, self.pasi_total)
            if is_after_baseline(self.visit_code)
            else None
        )

    def save(self, *args, **kwargs):
        self.derive()
        super().save(*args, **kwargs)
