"""API tokens: knox's TokenAuthentication, which keeps only SHA-512 digests, refuses and deletes
expired tokens and refuses deactivated users, plus the time each token was last used (kept apart
from api.py: DRF imports it while loading its views)."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework import exceptions

LAST_USED_GRANULARITY = timedelta(minutes=1)  # a token used all day is not rewritten on every request


class TokenAuthentication(KnoxTokenAuthentication):
    def authenticate_credentials(self, token: bytes):
        try:
            token.decode("utf-8")
        except UnicodeDecodeError:  # knox decodes without catching: a header in Latin-1 must be a 401, not a 500
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        return super().authenticate_credentials(token)

    def validate_user(self, auth_token):
        user, token = super().validate_user(auth_token)
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
            type(token).objects.filter(pk=token.pk).update(last_used_at=now)
        return user, token
