from django.conf import settings
from django.db import models
from knox.models import AbstractAuthToken


class ApiToken(AbstractAuthToken):
    """A personal API token: only its SHA-512 digest is stored; the key is shown once.

    A token acts as its user, with exactly that user's role. Revoking deletes it.
    """

    name = models.CharField(max_length=80, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]


class ExportLog(models.Model):
    """Every export and audit-trail download: who pulled what, when (never edited)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    export = models.CharField(max_length=60)
    query = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
