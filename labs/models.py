from django.db import models
from django.utils.translation import gettext_lazy as _

from labs import catalogue, ranges
from trialsite.audit import AuditedModel

TEST_CHOICES = [(test.code, _(test.label)) for test in catalogue.LAB_TESTS]
UNIT_CHOICES = [(code, label) for code, label in catalogue.UNIT_LABELS.items()]
FLAG_CHOICES = [(ranges.LOW, _("Low")), (ranges.NORMAL, _("Normal")), (ranges.HIGH, _("High"))]
UNSCHEDULED = "UNS"


class NormalRangeSex(models.TextChoices):
    BOTH = "", _("Both sexes")
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class NormalRange(AuditedModel):
    """The site's normal range of one test (study configuration, PROTOCOL §8), in the standard unit.

    A range is never edited into another one: a lab that changes its ranges gets new rows with a
    later `effective_from`, so every result keeps the range that was in force on its collection date.
    """

    test_code = models.CharField(_("test"), max_length=8, choices=TEST_CHOICES)
    sex = models.CharField(_("sex"), max_length=1, choices=NormalRangeSex.choices, blank=True)
    age_from = models.PositiveSmallIntegerField(_("from age (years)"), default=0)
    age_to = models.PositiveSmallIntegerField(_("to age (years)"), null=True, blank=True)
    effective_from = models.DateField(_("effective from"))
    lln = models.DecimalField(_("LLN"), max_digits=12, decimal_places=4)
    uln = models.DecimalField(_("ULN"), max_digits=12, decimal_places=4)

    class Meta:
        verbose_name = _("normal range")
        verbose_name_plural = _("normal ranges")
        ordering = ["test_code", "effective_from", "sex", "age_from"]
        constraints = [
            models.CheckConstraint(condition=models.Q(uln__gt=models.F("lln")), name="normal_range_uln_above_lln"),
        ]

    def __str__(self) -> str:
        return f"{self.test_code} {self.sex or 'M/F'} {self.age_from}-{self.age_to or ''} from {self.effective_from}"

    def as_rule(self) -> ranges.NormalRange:
        return ranges.NormalRange(
            test_code=self.test_code,
            sex=self.sex or None,
            age_from=self.age_from,
            age_to=self.age_to,
            effective_from=self.effective_from,
            lln=self.lln,
            uln=self.uln,
        )


class FirstInfusion(AuditedModel):
    """When the participant's first infusion started: the labs' baseline is decided by it (§8).

    Kept here by `labs.services.lab_first_infusion_set`, which dosing calls when it records the W0
    infusion (labs never imports dosing).
    """

    participant = models.OneToOneField(
        "subjects.Participant", verbose_name=_("participant"), on_delete=models.PROTECT, related_name="+"
    )
    start_time = models.DateTimeField(_("start time"), null=True, blank=True)

    class Meta:
        verbose_name = _("first infusion")
        verbose_name_plural = _("first infusions")

    def __str__(self) -> str:
        return f"{self.participant} first infusion {self.start_time}"


class LabPanel(AuditedModel):
    """One blood draw (CRF "Laboratory result"): a scheduled visit's panel or an unscheduled one."""

    participant = models.ForeignKey(
        "subjects.Participant", verbose_name=_("participant"), on_delete=models.PROTECT, related_name="lab_panels"
    )
    visit = models.ForeignKey(
        "subjects.Visit",
        verbose_name=_("visit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lab_panels",
    )
    visit_code = models.CharField(_("visit code"), max_length=4, editable=False)  # UNS for an unscheduled panel
    collected_at = models.DateTimeField(_("collected at"))

    class Meta:
        verbose_name = _("lab panel")
        verbose_name_plural = _("lab panels")
        ordering = ["participant_id", "collected_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["visit"], condition=models.Q(visit__isnull=False), name="lab_panel_one_per_visit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant} lab panel {self.visit_code} {self.collected_at:%Y-%m-%d}"


class LabResult(AuditedModel):
    """One test of a panel. `value`/`unit` as reported; everything after `value_standard` is derived
    (labs.services.lab_results_derive) and re-derived when the ranges, the baseline or Day 1 change."""

    participant = models.ForeignKey(
        "subjects.Participant", verbose_name=_("participant"), on_delete=models.PROTECT, related_name="lab_results"
    )
    panel = models.ForeignKey(LabPanel, verbose_name=_("panel"), on_delete=models.PROTECT, related_name="results")
    test_code = models.CharField(_("test"), max_length=8, choices=TEST_CHOICES)
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=4, null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=8, choices=UNIT_CHOICES, blank=True)
    not_done_reason = models.TextField(_("not done reason"), blank=True)
    clinically_significant = models.BooleanField(_("clinically significant"), null=True, blank=True)
    value_standard = models.DecimalField(
        _("value in standard units"), max_digits=14, decimal_places=6, null=True, blank=True, editable=False
    )
    lln = models.DecimalField(_("LLN"), max_digits=12, decimal_places=4, null=True, blank=True, editable=False)
    uln = models.DecimalField(_("ULN"), max_digits=12, decimal_places=4, null=True, blank=True, editable=False)
    flag = models.CharField(_("flag"), max_length=6, choices=FLAG_CHOICES, blank=True, editable=False)
    ctcae_grade = models.PositiveSmallIntegerField(_("CTCAE grade"), null=True, blank=True, editable=False)
    is_baseline = models.BooleanField(_("baseline"), default=False, editable=False)
    prompts_ae = models.BooleanField(_("prompts an AE"), default=False, editable=False)

    class Meta:
        verbose_name = _("lab result")
        verbose_name_plural = _("lab results")
        ordering = ["participant_id", "panel__collected_at", "test_code"]
        constraints = [
            models.UniqueConstraint(fields=["panel", "test_code"], name="lab_result_one_per_test"),
            models.CheckConstraint(
                condition=(models.Q(value__isnull=False) & models.Q(not_done_reason=""))
                | (models.Q(value__isnull=True) & ~models.Q(not_done_reason="")),
                name="lab_result_value_or_not_done",
            ),
        ]
        indexes = [models.Index(fields=["test_code", "ctcae_grade"])]

    def __str__(self) -> str:
        return f"{self.panel} {self.test_code}"

    @property
    def test(self) -> catalogue.LabTest:
        return catalogue.lab_test(self.test_code)

    @property
    def out_of_range(self) -> bool:
        return self.flag in (ranges.LOW, ranges.HIGH)
