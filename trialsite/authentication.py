"""Authentication: API tokens (kept apart from api.py: DRF imports it while loading its views) and
the session backend that loads a user's roles with the user."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import CharField, F, Func
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


class _GroupNames(Func):
    """The names of a user's groups, comma-separated, from a correlated subquery."""

    template = (
        "(SELECT {aggregate} FROM auth_group g INNER JOIN auth_user_groups ug ON ug.group_id = g.id"
        " WHERE ug.user_id = %(expressions)s)"
    )
    output_field = CharField()

    def as_sql(self, compiler, connection, **extra):
        aggregate = "string_agg(g.name, ',')" if connection.vendor == "postgresql" else "group_concat(g.name, ',')"
        return super().as_sql(compiler, connection, template=self.template.format(aggregate=aggregate), **extra)


class RoleModelBackend(ModelBackend):
    """Django's ModelBackend, loading the user's study roles in the same query as the user.

    Every request of a signed-in user reads the user, and every page checks a role: one query
    instead of two. Group names are role names, which contain no comma.
    """

    def get_user(self, user_id):
        UserModel = get_user_model()
        try:
            user = UserModel._default_manager.annotate(_group_names=_GroupNames(F("pk"))).get(pk=user_id)
        except UserModel.DoesNotExist:
            return None
        if not self.user_can_authenticate(user):
            return None
        user._trialsite_roles = roles_named((user._group_names or "").split(","))
        return user
