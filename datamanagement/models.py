"""Data queries, source data verification marks and locks over the CRF record types.

Each refers to a record by (record_type, record_id) of `trialsite.records.RECORD_TYPES`, plus the
participant (and visit, when the record has one) for filtering. All three are audited models: every
transition is a history row (user, UTC time, the text as the reason) and joins the hash chain.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from trialsite.audit import AuditedModel


class QueryState(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE_QUERY_STATES = (QueryState.OPEN, QueryState.ANSWERED)


class Query(AuditedModel):
    """A discrepancy note on a record or one field of it. The thread is the query's history."""

    participant = models.ForeignKey(
        "subjects.Participant", verbose_name=_("participant"), on_delete=models.PROTECT, related_name="data_queries"
    )
    visit = models.ForeignKey(
        "subjects.Visit", verbose_name=_("visit"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    record_type = models.CharField(_("record type"), max_length=40)
    record_id = models.PositiveBigIntegerField(_("record id"))
    field = models.CharField(_("field"), max_length=80, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=QueryState.choices, default=QueryState.OPEN)
    text = models.TextField(_("question"))
    latest_text = models.TextField(_("latest message"), blank=True)
    raised_by = models.ForeignKey(  # null: raised by the system (an edit check)
        settings.AUTH_USER_MODEL,
        verbose_name=_("raised by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    raised_at = models.DateTimeField(_("raised at"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    edit_check = models.CharField(_("edit check"), max_length=60, blank=True)
    answer_change_id = models.PositiveBigIntegerField(
        _("answering change"), null=True, blank=True, help_text=_("The audit row of the data change that answered it.")
    )

    class Meta:
        verbose_name = _("data query")
        verbose_name_plural = _("data queries")
        indexes = [
            models.Index(fields=["record_type", "record_id"], name="query_record"),
            models.Index(fields=["participant", "state"], name="query_participant_state"),
        ]

    def __str__(self):
        return f"Query {self.pk} ({self.record_type} {self.record_id})"

    @property
    def raised_by_name(self) -> str:
        return self.raised_by.get_username() if self.raised_by else "system"

    @property
    def raised_by_shown(self) -> str:
        """For pages: "system" in the reader's language (the API and exports keep the code)."""
        return self.raised_by.get_username() if self.raised_by else gettext("system")


class LockScope(models.TextChoices):
    RECORD = "record", _("Record")
    VISIT = "visit", _("Visit")
    PARTICIPANT = "participant", _("Participant casebook")
    DATABASE = "database", _("Database")


class Lock(AuditedModel):
    """A freeze of a record, a visit, a casebook or the whole database; `active` until unlocked."""

    scope = models.CharField(_("scope"), max_length=12, choices=LockScope.choices)
    participant = models.ForeignKey(
        "subjects.Participant",
        verbose_name=_("participant"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="locks",
    )
    # `locks` by name: lower layers exclude locked rows from bulk updates without importing this app.
    visit = models.ForeignKey(
        "subjects.Visit", verbose_name=_("visit"), on_delete=models.PROTECT, null=True, blank=True, related_name="locks"
    )
    record_type = models.CharField(_("record type"), max_length=40, blank=True)
    record_id = models.PositiveBigIntegerField(_("record id"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("locked by"), on_delete=models.PROTECT, related_name="+"
    )
    locked_at = models.DateTimeField(_("locked at"))
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("lock")
        indexes = [models.Index(fields=["active", "scope"], name="lock_active_scope")]

    def __str__(self):
        return f"{self.get_scope_display()} lock {self.pk}"

    def describe(self) -> str:
        """The refusal shown on pages and in the API's 423 answer, in the reader's language."""
        sentence = {
            LockScope.RECORD: gettext(
                "Locked: this %(record)s was locked by %(user)s on %(when)s; no change is possible."
            ),
            LockScope.VISIT: gettext("Locked: this visit was locked by %(user)s on %(when)s; no change is possible."),
            LockScope.PARTICIPANT: gettext(
                "Locked: this participant's casebook was locked by %(user)s on %(when)s; no change is possible."
            ),
            LockScope.DATABASE: gettext(
                "Locked: the database was locked by %(user)s on %(when)s; no change is possible."
            ),
        }[self.scope]
        return sentence % {
            "record": self.record_type.replace("_", " "),
            "user": self.locked_by.get_username(),
            "when": self.locked_at.strftime("%Y-%m-%d %H:%M UTC"),
        }


class SdvState(models.TextChoices):
    VERIFIED = "verified", _("Verified")
    CHANGED = "changed", _("Changed since verification")


class SourceVerification(AuditedModel):
    """A record's source data verification mark; a change of the record sets it to `changed`."""

    participant = models.ForeignKey(
        "subjects.Participant", verbose_name=_("participant"), on_delete=models.PROTECT, related_name="+"
    )
    visit = models.ForeignKey(
        "subjects.Visit", verbose_name=_("visit"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    record_type = models.CharField(_("record type"), max_length=40)
    record_id = models.PositiveBigIntegerField(_("record id"))
    state = models.CharField(_("state"), max_length=10, choices=SdvState.choices)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("verified by"), on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(_("verified at"))
    verified_version = models.PositiveIntegerField(_("verified version"))

    class Meta:
        verbose_name = _("source data verification")
        constraints = [models.UniqueConstraint(fields=["record_type", "record_id"], name="sdv_unique_record")]

    def __str__(self):
        return f"SDV {self.record_type} {self.record_id}: {self.state}"


class QueryReminder(models.Model):
    """An open query older than the reminder age, at most one row per query (the unique one-to-one
    makes the sweep idempotent); `email_sent_at` is claimed with a conditional update before sending."""

    query = models.OneToOneField(Query, on_delete=models.CASCADE, related_name="reminder")
    user = models.ForeignKey(  # the assignee when the reminder was made; None: every answerer
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Reminder for query {self.query_id}"
