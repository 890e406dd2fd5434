from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from trialsite.audit import AuditedModel


class Category(models.TextChoices):
    """PROTOCOL §11 (DVCAT)."""

    ELIGIBILITY = "eligibility", _("Eligibility")
    INFORMED_CONSENT = "informed_consent", _("Informed consent")
    VISIT_SCHEDULE = "visit_schedule", _("Visit schedule")
    DOSING = "dosing", _("Dosing")
    PROHIBITED_MEDICATION = "prohibited_medication", _("Prohibited medication")
    PROCEDURE = "procedure", _("Procedure")
    OTHER = "other", _("Other")


class Source(models.TextChoices):
    MANUAL = "manual", _("Recorded by hand")
    VISIT_WINDOW = "visit_window", _("Visit outside its window")
    DOSE_DEVIATION = "dose_deviation", _("Dose deviation")
    MISSED_INFUSION = "missed_infusion", _("Missed infusion")
    PROHIBITED_MEDICATION = "prohibited_medication", _("Prohibited medication")


class ProtocolDeviation(AuditedModel):
    """One protocol deviation (CRF "Protocol deviation", SDTM DV): derived from the visit, infusion or
    medication it names by `source_key` (kept up to date by deviations.services.deviations_sync), or
    recorded by hand. A derived deviation whose cause was corrected away is kept, marked `withdrawn`."""

    participant = models.ForeignKey(
        "subjects.Participant", on_delete=models.PROTECT, related_name="protocol_deviations"
    )
    category = models.CharField(_("category"), max_length=24, choices=Category.choices)
    description = models.TextField(_("description"))
    deviation_date = models.DateField(_("date"), null=True, blank=True)
    source = models.CharField(max_length=24, choices=Source.choices, default=Source.MANUAL, editable=False)
    source_key = models.CharField(max_length=40, null=True, blank=True, unique=True, editable=False)
    withdrawn = models.BooleanField(default=False, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )

    class Meta:
        ordering = ["participant_id", "deviation_date", "id"]

    def __str__(self) -> str:
        return f"{self.participant} {self.get_category_display()}: {self.description[:40]}"
