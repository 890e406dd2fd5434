"""Authentication: API tokens (kept apart from api.py: DRF imports it while loading its views) and
the session backend that loads a user's roles with the user."""

from datetime import timedelta
from functools import lru_cache

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import connections, router
from django.utils import timezone
from knox.auth import TokenAuthentication as KnoxTokenAuthentication

from trialsite.roles import roles_named

LAST_USED_GRANULARITY = timedelta(minutes=1)


class TokenAuthentication(KnoxTokenAuthentication):
    """Knox's hashed, expiring tokens, also recording when each token was last used."""

    def validate_user(self, auth_token):
        user, token = super().validate_user(auth_token)
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
            type(token).objects.filter(pk=token.pk).update(last_used_at=now)
        return user, token


class RoleModelBackend(ModelBackend):
    """Django's ModelBackend, loading the user's study roles in the same query as the user.

    Every request of a signed-in user reads the user, and every page checks a role: one plain
    SELECT instead of two ORM queries. Group names are role names, which contain no comma.
    """

    def get_user(self, user_id):
        UserModel = get_user_model()
        user = next(iter(UserModel._default_manager.raw(_user_with_groups_sql(UserModel), [user_id])), None)
        if user is None or not self.user_can_authenticate(user):
            return None
        user._trialsite_roles = roles_named((user.group_names or "").split(","))
        return user


@lru_cache(maxsize=4)
def _user_with_groups_sql(UserModel) -> str:
    connection = connections[router.db_for_read(UserModel)]
    quote = connection.ops.quote_name
    aggregate = "string_agg(g.name, ',')" if connection.vendor == "postgresql" else "group_concat(g.name, ',')"
    columns = ", ".join(f"u.{quote(field.column)}" for field in UserModel._meta.concrete_fields)
    return (
        f"SELECT {columns}, (SELECT {aggregate} FROM auth_group g INNER JOIN auth_user_groups ug"
        f" ON ug.group_id = g.id WHERE ug.user_id = u.{quote(UserModel._meta.pk.column)}) AS group_names"
        f" FROM {quote(UserModel._meta.db_table)} u WHERE u.{quote(UserModel._meta.pk.column)} = %s"
    )
