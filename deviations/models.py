import re

from django.conf import settings
from django.db import models
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from medications import rules
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


# A derived deviation's description is stored, audited and exported (SDTM DVTERM) in English, from
# these sentences; pages read the values back out of the English text and show the sentence in the
# reader's language (an unrecognised text, e.g. one written before a sentence changed, as stored).
DESCRIPTIONS = {
    Source.VISIT_WINDOW: gettext_noop("Visit %(visit)s on %(date)s, outside its window %(start)s to %(end)s"),
    Source.MISSED_INFUSION: gettext_noop("Infusion at %(visit)s not given (%(reason)s)"),
    Source.DOSE_DEVIATION: gettext_noop(
        "Dose deviation at infusion %(number)s (%(visit)s): %(given)s cells given, %(planned)s planned"
    ),
    Source.PROHIBITED_MEDICATION: gettext_noop("Prohibited medication %(medication)s (%(reason)s)"),
}
VISIT_MISSED = gettext_noop("visit missed")
# Values inside a description that are themselves texts of ours (the rest are codes, dates, names).
TRANSLATED_VALUES = frozenset({VISIT_MISSED, *rules.PROHIBITED_REASONS.values()})


def _pattern(sentence: str) -> re.Pattern:
    parts = re.split(r"%\((\w+)\)s", sentence)
    return re.compile(
        "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.*)" for i, part in enumerate(parts)), re.DOTALL
    )


PATTERNS = {source: _pattern(sentence) for source, sentence in DESCRIPTIONS.items()}


class ProtocolDeviation(AuditedModel):
    """One protocol deviation (CRF "Protocol deviation", SDTM DV): derived from the visit, infusion or
    medication it names by `source_key` (kept up to date by deviations.services.deviations_sync), or
    recorded by hand. A derived deviation whose cause was corrected away is kept, marked `withdrawn`."""

    participant = models.ForeignKey(
        "subjects.Participant",
        verbose_name=_("participant"),
        on_delete=models.PROTECT,
        related_name="protocol_deviations",
    )
    category = models.CharField(_("category"), max_length=24, choices=Category.choices)
    description = models.TextField(_("description"))
    deviation_date = models.DateField(_("date"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=24, choices=Source.choices, default=Source.MANUAL, editable=False)
    source_key = models.CharField(_("source key"), max_length=40, null=True, blank=True, unique=True, editable=False)
    withdrawn = models.BooleanField(_("withdrawn"), default=False, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("protocol deviation")
        verbose_name_plural = _("protocol deviations")
        ordering = ["participant_id", "deviation_date", "id"]

    def __str__(self) -> str:
        return f"{self.participant} {self.get_category_display()}: {self.description[:40]}"

    @property
    def shown_description(self) -> str:
        """The description in the reader's language: a derived one re-worded, one written by hand as is."""
        pattern = PATTERNS.get(self.source)
        match = pattern.fullmatch(self.description) if pattern else None
        if match is None:
            return self.description
        values = {
            name: gettext(value) if value in TRANSLATED_VALUES else value for name, value in match.groupdict().items()
        }
        return gettext(DESCRIPTIONS[self.source]) % values
