"""Deployment checks (`manage.py check --deploy`): what would make the audit trail or the accounts
untrustworthy in production.

- trialsite.E001: the application's database role is a superuser (it could switch the audit
  trail's triggers off, or replicate around them).
- trialsite.E002: it owns history tables (an owner can disable their triggers and truncate them).
- trialsite.E003: an active user still has the demo password.
- trialsite.E004: the database could not be asked.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.core.checks import Error, Tags, register
from django.db import DatabaseError, connection

from trialsite.dbguard import history_tables

ROLES_HINT = "Run the application with a role of its own and migrate as the owner (README, 'Audit trail integrity')."


@register(Tags.security, deploy=True)
def database_role_check(app_configs=None, **kwargs) -> list[Error]:
    if connection.vendor != "postgresql":
        return []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
            role, superuser = cursor.fetchone()
            cursor.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tableowner = current_user "
                "AND tablename = ANY(%s) ORDER BY tablename",
                [history_tables()],
            )
            owned = [name for (name,) in cursor.fetchall()]
    except DatabaseError as error:
        return [Error(f"Could not check the database role: {error}", id="trialsite.E004")]
    errors = []
    if superuser:
        errors.append(
            Error(
                f"The database role {role!r} of DATABASE_URL is a superuser: it could disable the audit "
                "trail's triggers and rewrite history.",
                hint=ROLES_HINT,
                id="trialsite.E001",
            )
        )
    if owned:
        errors.append(
            Error(
                f"The database role {role!r} of DATABASE_URL owns the history tables ({', '.join(owned[:3])}, …): "
                "it could disable their triggers or truncate them.",
                hint=ROLES_HINT,
                id="trialsite.E002",
            )
        )
    return errors


@register(Tags.security, deploy=True)
def demo_password_check(app_configs=None, **kwargs) -> list[Error]:
    from trialsite.management.commands.setup_demo import DEMO_PASSWORD

    User = get_user_model()
    try:
        if User._meta.db_table not in connection.introspection.table_names():
            return []
        accounts = list(User.objects.filter(is_active=True).values_list(User.USERNAME_FIELD, "password"))
    except DatabaseError as error:
        return [Error(f"Could not check the accounts: {error}", id="trialsite.E004")]
    demo = sorted(name for name, encoded in accounts if encoded and check_password(DEMO_PASSWORD, encoded))
    if not demo:
        return []
    return [
        Error(
            f"These accounts still have the demo password: {', '.join(demo)}.",
            hint="Set real passwords (manage.py changepassword) or deactivate them; create the first administrator "
            "with manage.py createsuperuser.",
            id="trialsite.E003",
        )
    ]
