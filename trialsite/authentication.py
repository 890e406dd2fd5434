"""Authentication: API tokens (kept apart from api.py: DRF imports it while loading its views), the
session backend that loads a user's roles with the user, and the middleware that reuses a loaded
user while the accounts' data version says nothing about users or roles can have changed."""

from datetime import timedelta
from functools import lru_cache

from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import connections, router
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject
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
        connection = connections[router.db_for_read(UserModel)]
        sql, attnames, columns, converters = _user_with_groups_query(UserModel, connection.alias)
        with connection.cursor() as cursor:
            cursor.execute(sql, [user_id])
            row = cursor.fetchone()
        if row is None:
            return None
        values = []
        for value, field_converters, column in zip(row, converters, columns, strict=False):
            for converter in field_converters:
                value = converter(value, column, connection)
            values.append(value)
        user = UserModel.from_db(connection.alias, attnames, values)
        if not self.user_can_authenticate(user):
            return None
        user._trialsite_roles = roles_named((row[-1] or "").split(","))
        return user


@lru_cache(maxsize=8)
def _user_with_groups_query(UserModel, alias: str) -> tuple[str, list, list, list]:
    """The user's columns and group names in one SELECT, with the converters the ORM would apply
    to each column (SQLite stores datetimes as text and booleans as integers)."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    fields = list(UserModel._meta.concrete_fields)
    columns = [field.get_col(UserModel._meta.db_table) for field in fields]
    converters = [connection.ops.get_db_converters(col) + col.get_db_converters(connection) for col in columns]
    aggregate = "string_agg(g.name, ',')" if connection.vendor == "postgresql" else "group_concat(g.name, ',')"
    pk = quote(UserModel._meta.pk.column)
    sql = (
        f"SELECT {', '.join(f'u.{quote(field.column)}' for field in fields)},"
        f" (SELECT {aggregate} FROM auth_group g INNER JOIN auth_user_groups ug ON ug.group_id = g.id"
        f" WHERE ug.user_id = u.{pk}) FROM {quote(UserModel._meta.db_table)} u WHERE u.{pk} = %s"
    )
    return sql, [field.attname for field in fields], columns, converters


USER_CACHE_SECONDS = 300


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's, with the signed-in user kept in the cache under the accounts' data version.

    Triggers move that version on every committed write to users, their groups and the groups
    (trialsite.dataversion), and the session store reads it with the session row: a user cached
    under the version of this request's session is the user as the database has it, whatever
    process or request changed it last. Deactivating a user, changing a password or a role gives a
    new version, and the next request reads the user afresh. The session's auth hash is checked on
    every request, as Django does.
    """

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _session_user(request))


def _session_user(request):
    if hasattr(request, "_cached_user"):
        return request._cached_user
    user_id = request.session.get(SESSION_KEY)  # loads the session, and with it the data version
    key_values = getattr(request.session, "page_key_values", None)
    if user_id is None or key_values is None:
        return auth_middleware.get_user(request)
    key = f"trialsite:user:v2:{user_id}:{key_values.accounts}"
    user = cache.get(key)
    session_hash = request.session.get(HASH_SESSION_KEY)
    if user is None or not session_hash or not constant_time_compare(session_hash, user.get_session_auth_hash()):
        user = auth_middleware.get_user(request)  # the database, and Django's own handling of the hash
        if user.is_authenticated:
            cache.set(key, user, timeout=USER_CACHE_SECONDS)
    request._cached_user = user
    return user
