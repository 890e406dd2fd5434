from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from trialsite.models import ApiToken


class Command(BaseCommand):
    help = "Issue a personal API token for USERNAME and print the key once (only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--expires-days", type=int, default=None, help="Days until the token expires.")
        parser.add_argument("--name", default="issued by an operator")

    def handle(self, username, expires_days, name, **options):
        try:
            user = get_user_model().objects.get(username=username, is_active=True)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No active user {username!r}.") from None
        if expires_days is not None and expires_days < 1:
            raise CommandError("--expires-days must be at least 1.")
        expiry = timedelta(days=expires_days) if expires_days else None
        _token, key = ApiToken.objects.create(user=user, expiry=expiry, name=name)
        self.stdout.write(key)
