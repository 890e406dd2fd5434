from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from trialsite.account_views import MAX_EXPIRY_DAYS, issue_token


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
        if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRY_DAYS:
            raise CommandError(f"--expires-days must be between 1 and {MAX_EXPIRY_DAYS}.")
        _token, key = issue_token(user=user, name=name[:80], expires_in_days=expires_days)
        self.stdout.write(key)
