from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from knox.models import AbstractAuthToken


class ApiToken(AbstractAuthToken):
    """A personal API token: only its SHA-512 digest is stored; the key is shown once.

    A token acts as its user, with exactly that user's role. Revoking deletes it.
    """

    name = models.CharField(_("name"), max_length=80, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created"]


class ExportLog(models.Model):
    """Every export and audit-trail download: who pulled what, when (never edited)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    export = models.CharField(_("export"), max_length=60)
    query = models.CharField(pgettext_lazy("the parameters of an export", "query"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("export log")
        verbose_name_plural = _("export logs")
        ordering = ["-created_at"]


class AuditChainHead(models.Model):
    """Where the audit trail's hash chain ends (a single row): its last position and link.

    Appending a history row locks it (trialsite.chain), so writers append one after another in one
    global order; `verify_audit` checks that the chain's last row is this one, so a deleted tail is
    noticed too.
    """

    position = models.BigIntegerField(default=0)
    chain_hash = models.CharField(max_length=64)


class AuditCheck(models.Model):
    """One verification of the audit trail (the nightly task): the result and, for a failed one,
    whether the data managers were told (claimed with a conditional update, sent once)."""

    checked_at = models.DateTimeField(auto_now_add=True)
    intact = models.BooleanField()
    rows = models.PositiveIntegerField(default=0)
    head_position = models.BigIntegerField(default=0)
    head_hash = models.CharField(max_length=64, blank=True)
    problem = models.TextField(blank=True)
    notify_claimed_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    notify_attempts = models.PositiveSmallIntegerField(default=0)
    notify_last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-checked_at"]


class UserPreference(models.Model):
    """A user's own settings: the language of their pages and e-mails (empty: their browser's, then the
    study's default). Not clinical data, so not audited."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference")
    language = models.CharField(max_length=10, choices=settings.LANGUAGES, blank=True)
