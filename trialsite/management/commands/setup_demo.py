from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError

from trialsite.roles import ROLE_LABELS, Role

DEMO_PASSWORD = "trialsite-demo"
DEMO_USERS = {
    "coordinator": Role.COORDINATOR,
    "investigator": Role.INVESTIGATOR,
    "datamanager": Role.DATA_MANAGER,
    "dmc": Role.DMC_REVIEWER,
    "apiclient": Role.API_CLIENT,
    "admin": Role.ADMIN,
    "monitor": Role.MONITOR,
}


class Command(BaseCommand):
    help = "Create the demo accounts (demo/DEBUG mode only) and print the logins. Idempotent."

    def handle(self, *args, **options):
        # Production never has demo accounts, whatever TRIALSITE_DEMO says: its first administrator
        # comes from `manage.py createsuperuser`.
        if not settings.DEBUG:
            raise CommandError(
                "Demo accounts are never created in production (DJANGO_DEBUG=0): create the first administrator "
                "with `manage.py createsuperuser`."
            )
        if not settings.TRIALSITE_DEMO:
            raise CommandError("Demo accounts are turned off (TRIALSITE_DEMO=0).")
        for username, role in DEMO_USERS.items():
            user, created = User.objects.get_or_create(
                username=username, defaults={"email": f"{username}@trialsite.invalid"}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
            user.is_staff = user.is_superuser = role == Role.ADMIN
            user.save()
            user.groups.set([Group.objects.get(name=role.value)])
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, role in DEMO_USERS.items():
            self.stdout.write(f"  {username:<13} {ROLE_LABELS[role]}")
