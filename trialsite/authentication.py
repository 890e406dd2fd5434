"""API token authentication (kept apart from api.py: DRF imports it while loading its views)."""

from datetime import timedelta

from django.utils import timezone
from knox.auth import TokenAuthentication as KnoxTokenAuthentication

LAST_USED_GRANULARITY = timedelta(minutes=1)


class TokenAuthentication(KnoxTokenAuthentication):
    """Knox's hashed, expiring tokens, also recording when each token was last used."""

    def validate_user(self, auth_token):
        user, token = super().validate_user(auth_token)
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
            type(token).objects.filter(pk=token.pk).update(last_used_at=now)
        return user, token
