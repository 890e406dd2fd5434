"""Electronic signatures (21 CFR Part 11): one model for every signing act.

A signature names what was signed by its record type (trialsite.records) and id, with a hash of
the record's values at signing time; the signer's printed name is stored as it was then. Rows are
never deleted: a later change of the signed record sets `invalidated_at` and says why.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from trialsite.audit import AuditedModel


class Meaning(models.TextChoices):
    """The fixed list of what a signature means (extend it here; the value is stored)."""

    ELIGIBILITY = "eligibility", _("I confirm this participant's eligibility")
    AE_CAUSALITY = "ae_causality", _("I have assessed the causality of this adverse event")
    HOLD_RELEASE = "hold_release", _("I release this safety hold after DMC review")
    CASEBOOK_APPROVAL = "casebook_approval", _("I approve this casebook as complete and accurate")


# The record type each meaning signs (trialsite.records names).
SIGNED_RECORD_TYPE = {
    Meaning.ELIGIBILITY: "screening",
    Meaning.AE_CAUSALITY: "adverse_event",
    Meaning.HOLD_RELEASE: "safety_hold",
    Meaning.CASEBOOK_APPROVAL: "participant",
}


class Signature(AuditedModel):
    participant = models.ForeignKey(
        "subjects.Participant", verbose_name=_("participant"), on_delete=models.PROTECT, related_name="signatures"
    )
    meaning = models.CharField(_("meaning"), max_length=40, choices=Meaning.choices)
    record_type = models.CharField(_("record type"), max_length=40)
    record_id = models.PositiveBigIntegerField(_("record id"))
    record_hash = models.CharField(
        _("record hash"), max_length=64, help_text=_("SHA-256 of the signed record's values (canonical JSON).")
    )
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("signer"), on_delete=models.PROTECT, related_name="+"
    )
    signer_name = models.CharField(_("printed name of the signer"), max_length=300)
    signed_at = models.DateTimeField(_("signed at (UTC)"))
    invalidated_at = models.DateTimeField(_("invalidated at"), null=True, blank=True)
    invalidation_reason = models.TextField(_("invalidated because"), blank=True)

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        ordering = ["signed_at", "id"]
        indexes = [
            models.Index(fields=["record_type", "record_id"], name="signature_record"),
            models.Index(fields=["participant", "meaning"], name="signature_participant"),
        ]

    def __str__(self) -> str:
        return f"{self.get_meaning_display()} — {self.signer_name}, {self.signed_at:%Y-%m-%d %H:%M} UTC"

    @property
    def valid(self) -> bool:
        return self.invalidated_at is None

    def delete(self, *args, **kwargs):
        raise ValueError("Signatures are append-only: a signature is invalidated, never deleted.")
