from django.db import models
from django.utils.translation import gettext_lazy as _

from medications import classification, history, rules
from medications.partial_dates import PartialDate
from trialsite.audit import AuditedModel

# The rule modules keep their labels in English (no Django there; SDTM reads them); pages show them
# translated, the labels being marked for makemessages where they are written.
CLASS_CHOICES = [(item.key, _(item.label)) for item in classification.MEDICATION_CLASSES]
ROUTE_CHOICES = [(code, _(label)) for code, label, _systemic in classification.ROUTES]
FREQUENCY_CHOICES = [(code, _(label)) for code, label, _per_day in classification.FREQUENCIES]
DOSE_UNIT_CHOICES = [(code, _(label)) for code, label, _mg in classification.DOSE_UNITS]
PRIOR_CONCOMITANT_CHOICES = [(rules.PRIOR, _("Prior")), (rules.CONCOMITANT, _("Concomitant"))]
PROHIBITED_CHOICES = [(key, _(label)) for key, label in rules.PROHIBITED_REASONS.items()]
CATEGORY_CHOICES = [(key, _(label)) for key, label in history.CATEGORIES]
PSORIASIS_TYPE_CHOICES = [(key, _(label)) for key, label in history.PSORIASIS_TYPES]
THERAPY_TYPE_CHOICES = [(key, _(label)) for key, label in history.THERAPY_TYPES]


def partial_or_none(text: str) -> PartialDate | None:
    return PartialDate.parse(text) if text else None


class ConcomitantMedication(AuditedModel):
    """A medication taken from 30 days before consent to W12 (CRF "Concomitant medication", SDTM CM).

    Dates are ISO partial dates (YYYY, YYYY-MM or YYYY-MM-DD); an empty start is the CRF's "before"
    (started before the collection period). `prior_or_concomitant`, `prohibited_reason` and
    `deviation_due` are derived by medications.rules on every save and again when Day 1 changes.
    """

    participant = models.ForeignKey(
        "subjects.Participant",
        verbose_name=_("participant"),
        on_delete=models.PROTECT,
        related_name="concomitant_medications",
    )
    medication = models.CharField(_("medication"), max_length=200)
    medication_class = models.CharField(_("class"), max_length=32, choices=CLASS_CHOICES)
    indication = models.CharField(_("indication"), max_length=200)
    dose = models.DecimalField(_("dose"), max_digits=10, decimal_places=3, null=True, blank=True)
    dose_unit = models.CharField(_("dose unit"), max_length=10, choices=DOSE_UNIT_CHOICES, blank=True)
    frequency = models.CharField(_("frequency"), max_length=10, choices=FREQUENCY_CHOICES, blank=True)
    route = models.CharField(_("route"), max_length=30, choices=ROUTE_CHOICES)
    start_date = models.CharField(_("start date"), max_length=10, blank=True, help_text=_("Empty: before"))
    end_date = models.CharField(_("end date"), max_length=10, blank=True)
    ongoing = models.BooleanField(_("ongoing"), default=False)
    prior_or_concomitant = models.CharField(
        _("prior or concomitant"), max_length=12, choices=PRIOR_CONCOMITANT_CHOICES, blank=True, editable=False
    )
    prohibited_reason = models.CharField(
        _("prohibited reason"), max_length=40, choices=PROHIBITED_CHOICES, blank=True, editable=False
    )
    deviation_due = models.BooleanField(_("deviation due"), default=False, editable=False)

    class Meta:
        verbose_name = _("concomitant medication")
        verbose_name_plural = _("concomitant medications")
        ordering = ["participant_id", "id"]

    def __str__(self) -> str:
        return f"{self.participant} {self.medication}"

    def derive(self) -> None:
        participant = self.participant
        end = partial_or_none(self.end_date)
        self.prior_or_concomitant = (
            rules.prior_or_concomitant(end=end, ongoing=self.ongoing, day1=participant.day1_date) or ""
        )
        reason = rules.prohibited_reason(
            medication_class_key=self.medication_class,
            route=self.route or None,
            dose=self.dose,
            dose_unit=self.dose_unit or None,
            frequency=self.frequency or None,
        )
        self.prohibited_reason = reason or ""
        self.deviation_due = rules.deviation_due(
            reason=reason, end=end, ongoing=self.ongoing, consent_date=participant.consent_date
        )


class MedicalHistory(AuditedModel):
    """One item of the medical history (CRF "Medical history", SDTM MH): the psoriasis itself (start =
    year of diagnosis, `psoriasis_type`), a prior psoriasis therapy (`therapy_type`, end = last dose)
    or another relevant condition. Dates are ISO partial dates."""

    participant = models.ForeignKey(
        "subjects.Participant", verbose_name=_("participant"), on_delete=models.PROTECT, related_name="medical_history"
    )
    category = models.CharField(_("category"), max_length=24, choices=CATEGORY_CHOICES)
    term = models.CharField(_("term"), max_length=200)
    psoriasis_type = models.CharField(_("psoriasis type"), max_length=16, choices=PSORIASIS_TYPE_CHOICES, blank=True)
    therapy_type = models.CharField(_("therapy type"), max_length=24, choices=THERAPY_TYPE_CHOICES, blank=True)
    start_date = models.CharField(_("start date"), max_length=10, blank=True)
    end_date = models.CharField(_("end date / last dose"), max_length=10, blank=True)
    ongoing = models.BooleanField(_("ongoing"), default=False)

    class Meta:
        ordering = ["participant_id", "category", "id"]
        verbose_name = _("medical history")
        verbose_name_plural = _("medical history")

    def __str__(self) -> str:
        return f"{self.participant} {self.term}"

    def as_prior_therapy(self) -> history.PriorTherapy | None:
        if self.category != "prior_psoriasis_therapy" or not self.therapy_type:
            return None
        return history.PriorTherapy(
            therapy_type=self.therapy_type, last_dose=partial_or_none(self.end_date), ongoing=self.ongoing
        )


class WashoutOverride(AuditedModel):
    """The investigator's answer to a screening exclusion item derived from the medical history (§10),
    kept over the derived one, with the reason."""

    ITEMS = [
        (history.RECENT_SYSTEMIC_THERAPY, _("Recent systemic therapy")),
        (history.PRIOR_STEM_CELL_THERAPY, _("Previous stem-cell therapy")),
    ]

    participant = models.ForeignKey(
        "subjects.Participant",
        verbose_name=_("participant"),
        on_delete=models.PROTECT,
        related_name="washout_overrides",
    )
    item = models.CharField(_("exclusion item"), max_length=32, choices=ITEMS)
    value = models.BooleanField(_("answer"))
    reason = models.TextField(_("reason"))

    class Meta:
        verbose_name = _("washout override")
        verbose_name_plural = _("washout overrides")
        constraints = [models.UniqueConstraint(fields=["participant", "item"], name="washout_override_once")]

    def __str__(self) -> str:
        return f"{self.participant} {self.item}={self.value}"
