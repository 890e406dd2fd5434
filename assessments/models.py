from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from trialsite.audit import AuditedModel

ITEM_VALIDATORS = [MinValueValidator(0), MaxValueValidator(4)]
AREA_PERCENT_VALIDATORS = [MinValueValidator(Decimal("0.0")), MaxValueValidator(Decimal("100.0"))]
AREA_SCORE_VALIDATORS = [MinValueValidator(0), MaxValueValidator(6)]


def _region_fields(region: str) -> dict[str, models.Field]:
    return {
        f"{region}_erythema": models.PositiveSmallIntegerField(validators=ITEM_VALIDATORS),
        f"{region}_induration": models.PositiveSmallIntegerField(validators=ITEM_VALIDATORS),
        f"{region}_desquamation": models.PositiveSmallIntegerField(validators=ITEM_VALIDATORS),
        f"{region}_area_percent": models.DecimalField(
            max_digits=4, decimal_places=1, null=True, blank=True, validators=AREA_PERCENT_VALIDATORS
        ),
        f"{region}_area_score": models.PositiveSmallIntegerField(validators=AREA_SCORE_VALIDATORS),
    }


class PasiAssessment(AuditedModel):
    """One PASI per visit (CRF "PASI assessment", SDTM RS). `pasi_total` is derived by pasi.py.

    The area is entered as a percentage (the score is then derived from it) or, when only the
    score is known, as a score with the percentage left empty.
    """

    participant = models.ForeignKey("subjects.Participant", on_delete=models.PROTECT, related_name="pasi_assessments")
    visit = models.OneToOneField("subjects.Visit", on_delete=models.PROTECT, related_name="pasi_assessment")
    assessment_date = models.DateField()
    assessor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    bsa_percent = models.DecimalField(
        max_digits=4, decimal_places=1, null=True, blank=True, validators=AREA_PERCENT_VALIDATORS
    )
    locals().update(_region_fields("head"))
    locals().update(_region_fields("upper_limbs"))
    locals().update(_region_fields("trunk"))
    locals().update(_region_fields("lower_limbs"))
    pasi_total = models.DecimalField(
        max_digits=3,
        decimal_places=1,
        editable=False,
        validators=[MinValueValidator(Decimal("0.0")), MaxValueValidator(Decimal("72.0"))],
    )

    class Meta:
        ordering = ["participant_id", "visit__visitnum"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pasi_total__gte=0) & models.Q(pasi_total__lte=72), name="pasi_total_range"
            ),
        ]

    def __str__(self) -> str:
        return f"PASI {self.visit}: {self.pasi_total}"
