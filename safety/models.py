from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from safety import rules
from trialsite.audit import AuditedModel


class Relationship(models.TextChoices):
    NOT_RELATED = "not_related", _("Not related")
    UNLIKELY = "unlikely", _("Unlikely")
    POSSIBLE = "possible", _("Possible")
    PROBABLE = "probable", _("Probable")
    DEFINITE = "definite", _("Definite")


class ActionTaken(models.TextChoices):
    DOSE_NOT_CHANGED = "dose_not_changed", _("Dose not changed")
    DRUG_INTERRUPTED = "drug_interrupted", _("Drug interrupted")
    DRUG_WITHDRAWN = "drug_withdrawn", _("Drug withdrawn")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")
    UNKNOWN = "unknown", _("Unknown")


class Outcome(models.TextChoices):
    RECOVERED = "recovered", _("Recovered/resolved")
    RECOVERING = "recovering", _("Recovering/resolving")
    NOT_RECOVERED = "not_recovered", _("Not recovered/not resolved")
    RECOVERED_WITH_SEQUELAE = "recovered_with_sequelae", _("Recovered/resolved with sequelae")
    FATAL = "fatal", _("Fatal")
    UNKNOWN = "unknown", _("Unknown")


SERIOUS_CRITERIA = (
    ("death", _("Death")),
    ("life_threatening", _("Life-threatening")),
    ("hospitalization", _("Hospitalisation or its prolongation")),
    ("disability", _("Persistent or significant disability")),
    ("congenital_anomaly", _("Congenital anomaly")),
    ("important_medical_event", _("Other important medical event")),
)


class AdverseEvent(AuditedModel):
    """An adverse event (CRF "Adverse event", SDTM AE). Consistency rules live in safety/rules.py."""

    participant = models.ForeignKey(
        "subjects.Participant", verbose_name=_("participant"), on_delete=models.PROTECT, related_name="adverse_events"
    )
    ae_number = models.PositiveIntegerField(_("ae number"), editable=False)
    term = models.CharField(_("term"), max_length=200)
    onset_date = models.DateField(_("onset date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    ongoing = models.BooleanField(_("ongoing"), default=False)
    grade = models.PositiveSmallIntegerField(_("grade"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    serious = models.BooleanField(_("serious"), default=False)
    death = models.BooleanField(_("death"), default=False)
    life_threatening = models.BooleanField(_("life threatening"), default=False)
    hospitalization = models.BooleanField(_("hospitalization"), default=False)
    disability = models.BooleanField(_("disability"), default=False)
    congenital_anomaly = models.BooleanField(_("congenital anomaly"), default=False)
    important_medical_event = models.BooleanField(_("important medical event"), default=False)
    relationship = models.CharField(_("relationship"), max_length=12, choices=Relationship.choices)
    expected = models.BooleanField(_("expected"))
    action_taken = models.CharField(_("action taken"), max_length=20, choices=ActionTaken.choices)
    outcome = models.CharField(_("outcome"), max_length=24, choices=Outcome.choices)
    infusion_reaction = models.BooleanField(_("infusion reaction"), default=False)
    infusion = models.ForeignKey(
        "dosing.Infusion",
        verbose_name=_("infusion"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="adverse_events",
    )
    awareness_time = models.DateTimeField(_("awareness time"), null=True, blank=True)
    reported_to_sponsor_at = models.DateTimeField(_("reported to sponsor at"), null=True, blank=True)
    causality_assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("causality assessed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    causality_assessed_at = models.DateTimeField(_("causality assessed at"), null=True, blank=True, editable=False)
    # The MedDRA lowest level term the verbatim term is coded to (None: not coded yet, in the coding
    # queue). Set by the coding services only: exact matches when the term is saved, a data manager
    # for the rest; a changed verbatim term is coded afresh.
    coded_llt = models.ForeignKey(
        "coding.LowestLevelTerm",
        verbose_name=_("coded LLT"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    # Treatment-emergent is never stored: it is derived from onset_date and the participant's Day 1
    # (rules.is_treatment_emergent; in SQL rules.treatment_emergent_condition), so it follows Day 1.

    class Meta:
        verbose_name = _("adverse event")
        verbose_name_plural = _("adverse events")
        ordering = ["participant_id", "ae_number"]
        constraints = [
            models.UniqueConstraint(fields=["participant", "ae_number"], name="ae_unique_number"),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=models.F("onset_date")),
                name="ae_end_not_before_onset",
            ),
        ]
        indexes = [models.Index(fields=["serious", "reported_to_sponsor_at"])]

    def __str__(self) -> str:
        return f"AE {self.ae_number} of {self.participant}: {self.term}"

    @property
    def is_related(self) -> bool:
        return rules.is_related(self.relationship)


class SafetyHold(AuditedModel):
    """A safety hold placed on a participant (PROTOCOL §6) and its release by an investigator."""

    participant = models.ForeignKey(
        "subjects.Participant", verbose_name=_("participant"), on_delete=models.PROTECT, related_name="safety_holds"
    )
    adverse_event = models.ForeignKey(
        AdverseEvent, verbose_name=_("adverse event"), on_delete=models.PROTECT, related_name="safety_holds"
    )
    placed_at = models.DateTimeField(
        _("placed at"),
    )
    reason = models.TextField(
        _("reason"),
    )
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("released by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    release_reason = models.TextField(_("release reason"), blank=True)

    class Meta:
        verbose_name = _("safety hold")
        verbose_name_plural = _("safety holds")
        ordering = ["-placed_at"]
        constraints = [
            models.UniqueConstraint(fields=["adverse_event"], name="hold_once_per_ae"),
        ]


class Notification(models.Model):
    """Outbox row for an e-mail to send later by a Celery task, exactly once (claimed by update)."""

    class Kind(models.TextChoices):
        SAE_CREATED = "sae_created", _("New serious adverse event")
        PROTOCOL_DEVIATION = "protocol_deviation", _("Protocol deviation (prohibited medication)")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    adverse_event = models.ForeignKey(
        AdverseEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="notifications"
    )
    # A notification not about an AE (a protocol deviation from an upper app) carries its own message,
    # written without personal data, and goes to the investigators only.
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    recipients = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["adverse_event", "kind"], name="notification_once_per_ae_kind"),
        ]


class Reminder(models.Model):
    """A visit-window or SAE-clock reminder; at most one per (visit or AE, kind)."""

    class Kind(models.TextChoices):
        WINDOW_OPENS_SOON = "window_opens_soon", _("Visit window opens soon")
        WINDOW_OPEN = "window_open", _("Visit window open")
        WINDOW_CLOSES_TODAY = "window_closes_today", _("Visit window closes today")
        VISIT_MISSED = "visit_missed", _("Visit missed")
        SAE_DUE = "sae_due", _("SAE report due")
        SAE_OVERDUE = "sae_overdue", _("SAE report overdue")

    kind = models.CharField(max_length=24, choices=Kind.choices)
    participant = models.ForeignKey("subjects.Participant", on_delete=models.PROTECT, related_name="reminders")
    visit = models.ForeignKey(
        "subjects.Visit", null=True, blank=True, on_delete=models.PROTECT, related_name="reminders"
    )
    adverse_event = models.ForeignKey(
        AdverseEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="reminders"
    )
    due_date = models.DateField()
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_last_error = models.TextField(blank=True)
    # Which sweep inserted the row: a sweep counts (and enqueues) exactly the rows it created,
    # because rows skipped by the unique constraints keep the id of the run that made them.
    sweep_run = models.UUIDField(null=True, blank=True, editable=False, db_index=True)

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "kind"], condition=models.Q(visit__isnull=False), name="reminder_once_per_visit_kind"
            ),
            models.UniqueConstraint(
                fields=["adverse_event", "kind"],
                condition=models.Q(adverse_event__isnull=False),
                name="reminder_once_per_ae_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(visit__isnull=True) ^ models.Q(adverse_event__isnull=True),
                name="reminder_visit_xor_ae",
            ),
        ]
        indexes = [models.Index(fields=["email_sent_at"])]


class ReminderAcknowledgement(models.Model):
    reminder = models.ForeignKey(Reminder, on_delete=models.CASCADE, related_name="acknowledgements")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    acknowledged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["reminder", "user"], name="reminder_ack_once")]
