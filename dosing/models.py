from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from trialsite.audit import AuditedModel


class Infusion(AuditedModel):
    """One UCMSC infusion (CRF "Infusion", SDTM EX). Planned dose is derived by dose.py."""

    ROUTE = "INTRAVENOUS"

    participant = models.ForeignKey(
        "subjects.Participant", verbose_name=_("participant"), on_delete=models.PROTECT, related_name="infusions"
    )
    visit = models.OneToOneField(
        "subjects.Visit", verbose_name=_("visit"), on_delete=models.PROTECT, related_name="infusion"
    )
    infusion_number = models.PositiveSmallIntegerField(_("infusion number"), editable=False)
    weight_kg_used = models.DecimalField(_("weight kg used"), max_digits=5, decimal_places=1, editable=False)
    dose_per_kg = models.BigIntegerField(
        _("dose per kg"), editable=False, help_text=_("Cells per kg, from the study configuration.")
    )
    planned_cells = models.BigIntegerField(_("planned cells"), editable=False)
    administered_cells = models.BigIntegerField(_("administered cells"), validators=[MinValueValidator(1)])
    dose_deviation = models.BooleanField(_("dose deviation"), default=False, editable=False)
    deviation_reason = models.TextField(_("deviation reason"), blank=True)
    product_lot = models.CharField(_("product lot"), max_length=40)
    viability_percent = models.DecimalField(
        _("viability percent"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.0")), MaxValueValidator(Decimal("100.0"))],
    )
    thaw_time = models.DateTimeField(
        _("thaw time"),
    )
    start_time = models.DateTimeField(
        _("start time"),
    )
    end_time = models.DateTimeField(
        _("end time"),
    )
    volume_ml = models.DecimalField(
        _("volume ml"),
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("1.0")), MaxValueValidator(Decimal("500.0"))],
    )
    whole_volume_given = models.BooleanField(
        _("whole volume given"),
    )
    volume_given_ml = models.DecimalField(
        _("volume given ml"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.0")), MaxValueValidator(Decimal("500.0"))],
    )
    route = models.CharField(_("route"), max_length=20, default=ROUTE, editable=False)
    interrupted = models.BooleanField(_("interrupted"), default=False)
    interruption_reason = models.TextField(_("interruption reason"), blank=True)
    administered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("administered by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("infusion")
        verbose_name_plural = pgettext_lazy("records", "infusions")
        ordering = ["participant_id", "infusion_number"]
        constraints = [
            models.UniqueConstraint(fields=["participant", "infusion_number"], name="infusion_unique_number"),
            models.CheckConstraint(condition=models.Q(administered_cells__gt=0), name="infusion_cells_positive"),
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")), name="infusion_end_after_start"
            ),
            models.CheckConstraint(
                condition=models.Q(thaw_time__lt=models.F("start_time")), name="infusion_thaw_before_start"
            ),
        ]
        indexes = [
            # Exposure per participant (safety.dashboard.participant_figures) reads this index alone
            # (PostgreSQL: an index-only scan; SQLite has no INCLUDE and indexes the participant).
            models.Index(fields=["participant"], include=["administered_cells"], name="infusion_participant_cells"),
        ]

    def __str__(self) -> str:
        return f"Infusion {self.infusion_number} of {self.participant}"

    @property
    def thaw_to_start_minutes(self) -> int:
        return int((self.start_time - self.thaw_time).total_seconds() // 60)

    @property
    def route_label(self) -> str:
        """The route as pages show it, in the reader's language; exports carry the stored CDISC term."""
        return _("Intravenous") if self.route == self.ROUTE else self.route


class Timepoint(models.TextChoices):
    VISIT = "visit", _("Visit")
    PRE_INFUSION = "pre_infusion", _("Pre-infusion")
    DURING_INFUSION = "during_infusion", _("During infusion")
    POST_INFUSION = "post_infusion", _("Post-infusion")


class VitalSigns(AuditedModel):
    """Vital signs at a visit or an infusion time point (CRF "Vital signs", SDTM VS)."""

    participant = models.ForeignKey(
        "subjects.Participant", verbose_name=_("participant"), on_delete=models.PROTECT, related_name="vital_signs"
    )
    visit = models.ForeignKey(
        "subjects.Visit", verbose_name=_("visit"), on_delete=models.PROTECT, related_name="vital_signs"
    )
    infusion = models.ForeignKey(
        Infusion,
        verbose_name=_("infusion"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="vital_signs",
    )
    timepoint = models.CharField(_("timepoint"), max_length=16, choices=Timepoint.choices, default=Timepoint.VISIT)
    minutes_after_start = models.PositiveSmallIntegerField(_("minutes after start"), null=True, blank=True)
    measured_at = models.DateTimeField(
        _("measured at"),
    )
    weight_kg = models.DecimalField(
        _("weight kg"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("30.0")), MaxValueValidator(Decimal("200.0"))],
    )
    systolic_bp = models.PositiveSmallIntegerField(
        _("systolic bp"), null=True, blank=True, validators=[MinValueValidator(60), MaxValueValidator(250)]
    )
    diastolic_bp = models.PositiveSmallIntegerField(
        _("diastolic bp"), null=True, blank=True, validators=[MinValueValidator(30), MaxValueValidator(150)]
    )
    heart_rate = models.PositiveSmallIntegerField(
        _("heart rate"), null=True, blank=True, validators=[MinValueValidator(30), MaxValueValidator(200)]
    )
    temperature_c = models.DecimalField(
        _("temperature c"),
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("34.0")), MaxValueValidator(Decimal("42.0"))],
    )
    respiratory_rate = models.PositiveSmallIntegerField(
        _("respiratory rate"), null=True, blank=True, validators=[MinValueValidator(6), MaxValueValidator(60)]
    )
    spo2_percent = models.PositiveSmallIntegerField(
        _("spo2 percent"), null=True, blank=True, validators=[MinValueValidator(50), MaxValueValidator(100)]
    )

    class Meta:
        verbose_name = _("vital signs")
        verbose_name_plural = _("vital signs")
        ordering = ["participant_id", "measured_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(systolic_bp__isnull=True)
                | models.Q(diastolic_bp__isnull=True)
                | models.Q(systolic_bp__gt=models.F("diastolic_bp")),
                name="vitals_systolic_above_diastolic",
            ),
            models.UniqueConstraint(
                fields=["visit", "timepoint"],
                condition=~models.Q(timepoint="during_infusion"),
                name="vitals_unique_timepoint",
            ),
            models.UniqueConstraint(
                fields=["visit", "minutes_after_start"],
                condition=models.Q(timepoint="during_infusion"),
                name="vitals_unique_during_minute",
            ),
        ]

    def __str__(self) -> str:
        return f"Vitals {self.visit} {self.timepoint}"
