"""Code every uncoded AE whose verbatim term is exactly a MedDRA LLT: `manage.py code_adverse_events USER`."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from safety.ae_coding import adverse_events_auto_code


class Command(BaseCommand):
    help = (
        "After `load_meddra`: code each uncoded adverse event whose verbatim term is exactly a current lowest "
        "level term of the active release (audited in USER's name); the others stay in the coding queue."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="the data manager the coding is recorded for")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        coded = adverse_events_auto_code(user=user)
        self.stdout.write(f"{coded} adverse event(s) coded by exact match.")
