from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from subjects import eligibility, schedule
from trialsite.audit import AuditedModel


class Study(AuditedModel):
    """The study configuration (PROTOCOL §1): the one place protocol values and site defaults live.

    A single row, created by a migration; every change bumps `version` and is audited with a
    reason. Code reads these values from here, never from literals.
    """

    study_id = models.CharField(_("study id"), max_length=20, default="S2018-11")
    registry_id = models.CharField(_("registry id"), max_length=20, default="NCT03745417")
    title = models.CharField(_("title"), max_length=300)
    site_id = models.CharField(_("site id"), max_length=4, default="01")
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    # The language of a user who chose none and whose browser asks for none we offer.
    default_language = models.CharField(
        _("default language"), max_length=10, choices=settings.LANGUAGES, default="en-gb"
    )
    enrollment_target = models.PositiveIntegerField(
        _("enrollment target"), default=5, validators=[MinValueValidator(1)]
    )
    dose_per_kg_cells = models.BigIntegerField(
        _("dose per kg cells"),
        default=2_000_000,
        validators=[MinValueValidator(1)],
        help_text=_("Cells per kg body weight."),
    )
    dose_tolerance_percent = models.PositiveSmallIntegerField(
        _("dose tolerance percent"), default=10, validators=[MaxValueValidator(100)]
    )
    max_infusions = models.PositiveSmallIntegerField(_("max infusions"), default=5)
    screening_window_days = models.PositiveSmallIntegerField(
        _("screening window days"),
        default=28,
        help_text=_("Screening happens 1..N days before Day 1; W0 within N days after screening."),
    )
    pasi_threshold = models.DecimalField(_("pasi threshold"), max_digits=3, decimal_places=1, default=Decimal("7.0"))
    bsa_threshold = models.DecimalField(_("bsa threshold"), max_digits=4, decimal_places=1, default=Decimal("10.0"))
    min_age = models.PositiveSmallIntegerField(_("min age"), default=18)
    max_age = models.PositiveSmallIntegerField(_("max age"), default=65)
    reminder_lead_days = models.PositiveSmallIntegerField(_("reminder lead days"), default=3)
    reminder_hour = models.PositiveSmallIntegerField(_("reminder hour"), default=7, validators=[MaxValueValidator(23)])
    sae_report_hours = models.PositiveSmallIntegerField(_("sae report hours"), default=24)
    hold_min_grade = models.PositiveSmallIntegerField(_("hold min grade"), default=3)
    dmc_alert_threshold = models.PositiveSmallIntegerField(_("dmc alert threshold"), default=2)
    vitals_interval_minutes = models.PositiveSmallIntegerField(_("vitals interval minutes"), default=15)
    ae_followup_days = models.PositiveSmallIntegerField(_("ae followup days"), default=7)

    class Meta:
        verbose_name = _("study")
        verbose_name_plural = _("studies")

    def __str__(self) -> str:
        return f"{self.study_id} v{self.version}"

    @classmethod
    def current(cls) -> "Study":
        return cls.objects.get()

    @property
    def eligibility_criteria(self) -> eligibility.EligibilityCriteria:
        return eligibility.EligibilityCriteria(
            pasi_threshold=self.pasi_threshold,
            bsa_threshold=self.bsa_threshold,
            min_age=self.min_age,
            max_age=self.max_age,
        )


class VisitDefinition(AuditedModel):
    """One row of the visit schedule (PROTOCOL §3), part of the study configuration."""

    study = models.ForeignKey(
        Study, on_delete=models.PROTECT, related_name="visit_definitions", verbose_name=_("study")
    )
    code = models.CharField(_("code"), max_length=4)
    visitnum = models.PositiveSmallIntegerField(_("visit number"))
    week = models.PositiveSmallIntegerField(_("week"), null=True, blank=True)
    window_before_days = models.PositiveSmallIntegerField(_("window before days"), default=0)
    window_after_days = models.PositiveSmallIntegerField(_("window after days"), default=0)
    dosing = models.BooleanField(_("dosing"), default=False)

    class Meta:
        verbose_name = _("visit definition")
        verbose_name_plural = _("visit definitions")
        ordering = ["visitnum"]
        constraints = [
            models.UniqueConstraint(fields=["study", "code"], name="visitdef_unique_code"),
            models.UniqueConstraint(fields=["study", "visitnum"], name="visitdef_unique_visitnum"),
        ]

    def __str__(self) -> str:
        return self.code

    def as_rule(self) -> schedule.VisitRule:
        return schedule.VisitRule(
            code=self.code,
            visitnum=self.visitnum,
            week=self.week,
            window_before_days=self.window_before_days,
            window_after_days=self.window_after_days,
            dosing=self.dosing,
        )


class ParticipantStatus(models.TextChoices):
    SCREENING = "screening", _("Screening")
    SCREEN_FAILED = "screen_failed", _("Screen failed")
    ENROLLED = "enrolled", _("Enrolled")
    COMPLETED = "completed", _("Completed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Race(models.TextChoices):
    """Race as the participant reports it (optional; SDTM DM RACE, CDISC terms in exports.sdtm.dm)."""

    AMERICAN_INDIAN_OR_ALASKA_NATIVE = "american_indian_or_alaska_native", _("American Indian or Alaska Native")
    ASIAN = "asian", _("Asian")
    BLACK_OR_AFRICAN_AMERICAN = "black_or_african_american", _("Black or African American")
    NATIVE_HAWAIIAN_OR_OTHER_PACIFIC_ISLANDER = (
        "native_hawaiian_or_other_pacific_islander",
        _("Native Hawaiian or Other Pacific Islander"),
    )
    WHITE = "white", _("White")
    MULTIPLE = "multiple", _("More than one race")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class Ethnicity(models.TextChoices):
    """Ethnicity as the participant reports it (optional; SDTM DM ETHNIC)."""

    HISPANIC_OR_LATINO = "hispanic_or_latino", _("Hispanic or Latino")
    NOT_HISPANIC_OR_LATINO = "not_hispanic_or_latino", _("Not Hispanic or Latino")
    UNKNOWN = "unknown", _("Unknown")


class Participant(AuditedModel):
    """A pseudonymous participant (PROTOCOL §7): no names, phones or national IDs."""

    screening_seq = models.PositiveIntegerField(_("screening seq"), unique=True, editable=False)
    screening_number = models.CharField(_("screening number"), max_length=12, unique=True, editable=False)
    subject_id = models.CharField(_("subject id"), max_length=6, unique=True, null=True, blank=True, editable=False)
    usubjid = models.CharField(_("USUBJID"), max_length=30, unique=True, null=True, blank=True, editable=False)
    site_id = models.CharField(_("site id"), max_length=4, default="01")
    initials = models.CharField(
        _("initials"),
        max_length=4,
        validators=[RegexValidator(r"^[A-Z]{2,4}$", _("Initials are 2 to 4 capital letters (A–Z)."))],
    )
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    date_of_birth = models.DateField(_("date of birth"))
    race = models.CharField(_("race"), max_length=48, choices=Race.choices, blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=24, choices=Ethnicity.choices, blank=True)
    consent_date = models.DateField(_("consent date"))
    consent_version = models.CharField(_("consent version"), max_length=20)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ParticipantStatus.choices,
        default=ParticipantStatus.SCREENING,
        db_index=True,
    )
    enrolled_at = models.DateTimeField(_("enrolled at"), null=True, blank=True, editable=False)
    withdrawal_date = models.DateField(_("withdrawal date"), null=True, blank=True)
    withdrawal_reason = models.TextField(_("withdrawal reason"), blank=True)
    day1_date = models.DateField(
        _("day1 date"), null=True, blank=True, editable=False, help_text=_("Date of the first infusion.")
    )
    baseline_pasi = models.DecimalField(
        _("baseline pasi"), max_digits=3, decimal_places=1, null=True, blank=True, editable=False
    )
    # Safety hold (PROTOCOL §6): state set by the safety app, read by dosing.
    on_safety_hold = models.BooleanField(_("on safety hold"), default=False, editable=False)
    safety_hold_reason = models.TextField(_("safety hold reason"), blank=True, editable=False)
    safety_hold_since = models.DateTimeField(_("safety hold since"), null=True, blank=True, editable=False)
    is_synthetic = models.BooleanField(_("is synthetic"), default=False, editable=False)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["screening_seq"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(withdrawal_date__isnull=True) & models.Q(withdrawal_reason=""))
                | (models.Q(withdrawal_date__isnull=False) & ~models.Q(withdrawal_reason="")),
                name="participant_withdrawal_both_or_neither",
            ),
        ]

    def __str__(self) -> str:
        return self.screening_number

    @property
    def subject_label(self) -> str:
        """The subject ID as shown on screens, e.g. S2018-11-001 (blank before enrollment)."""
        return self.label_of(self.subject_id, self.usubjid)

    @property
    def display_id(self) -> str:
        return self.display_id_of(self.subject_id, self.usubjid, self.screening_number)

    @staticmethod
    def label_of(subject_id: str | None, usubjid: str | None) -> str:
        if not subject_id:
            return ""
        return f"{usubjid.rsplit('-', 2)[0]}-{subject_id}" if usubjid else subject_id

    @staticmethod
    def display_id_of(subject_id: str | None, usubjid: str | None, screening_number: str) -> str:
        """display_id from the three values (listings built from values() rows, no instance needed)."""
        return Participant.label_of(subject_id, usubjid) or screening_number

    @property
    def is_active_on_treatment(self) -> bool:
        return self.status == ParticipantStatus.ENROLLED


class Screening(AuditedModel):
    """Screening / eligibility form (CRF "Screening / eligibility", SDTM IE)."""

    participant = models.OneToOneField(
        Participant, on_delete=models.PROTECT, related_name="screening", verbose_name=_("participant")
    )
    screening_date = models.DateField(_("screening date"))
    planned_day1_date = models.DateField(_("planned day1 date"))
    weight_kg = models.DecimalField(
        _("weight kg"),
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("30.0")), MaxValueValidator(Decimal("200.0"))],
    )
    height_cm = models.DecimalField(
        _("height cm"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("120.0")), MaxValueValidator(Decimal("220.0"))],
    )
    bsa_percent = models.DecimalField(
        _("bsa percent"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.0")), MaxValueValidator(Decimal("100.0"))],
    )
    screening_pasi = models.DecimalField(
        _("screening pasi"),
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        editable=False,
        help_text=_("Derived from the PASI assessment at visit SCR."),
    )
    pregnant_or_breastfeeding = models.BooleanField(_("pregnant or breastfeeding"))
    active_infection = models.BooleanField(_("active infection"))
    recent_malignancy = models.BooleanField(_("recent malignancy"))
    prior_stem_cell_therapy = models.BooleanField(_("prior stem cell therapy"))
    recent_systemic_therapy = models.BooleanField(_("recent systemic therapy"))
    recent_trial_participation = models.BooleanField(_("recent trial participation"))
    severe_organ_disease = models.BooleanField(_("severe organ disease"))
    product_allergy = models.BooleanField(_("product allergy"))
    eligible = models.BooleanField(_("eligible"), default=False, editable=False)
    failed_criteria = models.JSONField(_("failed criteria"), default=list, blank=True, editable=False)
    # Legacy: the sign-off before electronic signatures (migrated onto signatures.Signature by
    # 0007_signoff_to_signatures). Never written any more; the columns stay because the audit chain's
    # hashes of older history rows cover them (tests/test_migrations.py).
    investigator_signoff_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("investigator sign-off by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    investigator_signoff_at = models.DateTimeField(_("investigator sign-off at"), null=True, blank=True, editable=False)
    signoff_meaning = models.CharField(_("sign-off meaning"), max_length=100, blank=True, editable=False)

    class Meta:
        verbose_name = _("screening")
        verbose_name_plural = _("screenings")
        indexes = [  # the IE dataset lists failed screenings only: most pass, so it reads the few that failed
            models.Index(fields=["participant"], condition=~Q(failed_criteria=[]), name="screening_failed"),
        ]

    def __str__(self) -> str:
        return f"Screening of {self.participant}"

    def exclusions(self) -> dict[str, bool]:
        return {key: getattr(self, key) for key, _label in eligibility.EXCLUSION_ITEMS}


class VisitStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    OPEN = "open", pgettext_lazy("visit state: its window is open today", "Open")
    DONE = "done", _("Done")
    DONE_OUT_OF_WINDOW = "done_out_of_window", _("Done out of window")
    MISSED = "missed", _("Missed")
    NOT_DONE = "not_done", _("Not done")


class Visit(AuditedModel):
    """A scheduled visit (CRF "Visit", SDTM SV). Target and window are derived by schedule.py."""

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="visits", verbose_name=_("participant")
    )
    visit_code = models.CharField(_("visit code"), max_length=4)
    visitnum = models.PositiveSmallIntegerField(_("visit number"))
    target_date = models.DateField(_("target date"), null=True, blank=True)
    window_start = models.DateField(_("window start"))
    window_end = models.DateField(_("window end"))
    actual_date = models.DateField(_("actual date"), null=True, blank=True)
    not_done_reason = models.TextField(_("not done reason"), blank=True)
    deviation_reason = models.TextField(_("deviation reason"), blank=True)
    # Cached result of schedule.visit_state for today's date; refreshed on every write and by
    # the daily sweep, so lists and reminders can filter on it in SQL.
    status = models.CharField(_("status"), max_length=20, choices=VisitStatus.choices, default=VisitStatus.SCHEDULED)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["participant_id", "visitnum"]
        constraints = [
            models.UniqueConstraint(fields=["participant", "visit_code"], name="visit_unique_code"),
        ]
        indexes = [models.Index(fields=["status", "window_start", "window_end"])]

    def __str__(self) -> str:
        return f"{self.participant} {self.visit_code}"

    def state_on(self, today) -> str:
        return schedule.visit_state(
            today=today,
            window_start=self.window_start,
            window_end=self.window_end,
            actual_date=self.actual_date,
            not_done=bool(self.not_done_reason),
        )

    @property
    def in_window(self) -> bool | None:
        if self.actual_date is None:
            return None
        return schedule.is_in_window(self.actual_date, self.window_start, self.window_end)
