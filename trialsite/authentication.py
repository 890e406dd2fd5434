"""Authentication: API tokens (kept apart from api.py: DRF imports it while loading its views), the
session backend that loads a user's roles with the user, and the middleware that reuses a loaded
user while the accounts' data version says nothing about users or roles can have changed."""

import binascii
from datetime import timedelta
from functools import lru_cache
from hmac import compare_digest

from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import connections, router
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.crypto import hash_token
from knox.models import get_token_model
from knox.settings import CONSTANTS, knox_settings
from rest_framework import exceptions

from trialsite.roles import roles_named

LAST_USED_GRANULARITY = timedelta(minutes=1)


class TokenAuthentication(KnoxTokenAuthentication):
    """Knox's hashed, expiring tokens, read with their user and the user's roles in one plain SELECT,
    also recording when each token was last used.

    Knox reads the tokens with the key's prefix (with their user), then every token of that user to
    delete the expired ones, and the permission check reads the roles: three ORM queries before an
    export starts. Here one round trip reads the tokens with the prefix, their users and roles, and
    whether the user has another expired token; knox's own clean-up runs only when there is one to
    delete (or the token itself expired), so what is deleted, refused and signalled is knox's.
    """

    def authenticate_credentials(self, token: bytes):
        invalid = _("Invalid token.")
        try:
            key = token.decode("utf-8")
            digest = hash_token(key)
        except (UnicodeDecodeError, TypeError, binascii.Error):
            raise exceptions.AuthenticationFailed(invalid) from None
        now = timezone.now()
        for auth_token, others_expired in _tokens_with_users(key[: CONSTANTS.TOKEN_KEY_LENGTH], now):
            expired = auth_token.expiry is not None and auth_token.expiry < now
            if (others_expired or expired) and self._cleanup_token(auth_token):
                continue
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(invalid)

    def validate_user(self, auth_token):
        user, token = super().validate_user(auth_token)
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
            type(token).objects.filter(pk=token.pk).update(last_used_at=now)
        return user, token


def _tokens_with_users(token_key: str, now) -> list[tuple]:
    """[(token with .user and the user's roles loaded, whether the user has another expired token)]
    for the tokens whose key starts like `token_key` (knox's lookup)."""
    Token = get_token_model()
    UserModel = get_user_model()
    connection = connections[router.db_for_read(Token)]
    sql, token_fields, user_fields = _token_query(Token, UserModel, connection.alias)
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, token_key])
        rows = cursor.fetchall()
    found, user_from = [], len(token_fields[0])  # token columns, user columns, roles, others expired
    for row in rows:
        token_values, user_values = row[:user_from], row[user_from:-2]
        auth_token = _from_row(Token, connection, token_fields, token_values)
        user = _from_row(UserModel, connection, user_fields, user_values)
        user._trialsite_roles = roles_named((row[-2] or "").split(","))
        auth_token.user = user
        found.append((auth_token, bool(row[-1])))
    return found


@lru_cache(maxsize=8)
def _token_query(Token, UserModel, alias: str) -> tuple[str, tuple, tuple]:
    connection = connections[alias]
    quote = connection.ops.quote_name
    token_select, token_fields = _model_columns(Token, "t", alias)
    user_select, user_fields = _model_columns(UserModel, "u", alias)
    user_fk = quote(Token._meta.get_field("user").column)
    digest = quote(Token._meta.get_field("digest").column)
    expiry = quote(Token._meta.get_field("expiry").column)
    token_key = quote(Token._meta.get_field("token_key").column)
    table = quote(Token._meta.db_table)
    sql = (
        f"SELECT {token_select}, {user_select}, {_groups_sql(UserModel, connection, 'u')},"
        f" EXISTS (SELECT 1 FROM {table} o WHERE o.{user_fk} = t.{user_fk} AND o.{digest} <> t.{digest}"
        f" AND o.{expiry} < %s)"
        f" FROM {table} t INNER JOIN {quote(UserModel._meta.db_table)} u ON u.{quote(UserModel._meta.pk.column)}"
        f" = t.{user_fk} WHERE t.{token_key} = %s"
    )
    return sql, token_fields, user_fields


def _model_columns(model, table_alias: str, alias: str) -> tuple[str, tuple]:
    """The select list of `model`'s concrete columns (from `table_alias`) and (attnames, columns,
    converters): the converters the ORM would apply to each column (SQLite stores datetimes as text
    and booleans as integers)."""
    connection = connections[alias]
    fields = list(model._meta.concrete_fields)
    columns = [field.get_col(model._meta.db_table) for field in fields]
    converters = [connection.ops.get_db_converters(col) + col.get_db_converters(connection) for col in columns]
    select = ", ".join(f"{table_alias}.{connection.ops.quote_name(field.column)}" for field in fields)
    return select, ([field.attname for field in fields], columns, converters)


def _from_row(model, connection, fields: tuple, row):
    attnames, columns, converters = fields
    values = []
    for value, field_converters, column in zip(row, converters, columns, strict=True):
        for converter in field_converters:
            value = converter(value, column, connection)
        values.append(value)
    return model.from_db(connection.alias, attnames, values)


def _groups_sql(UserModel, connection, user_alias: str) -> str:
    """The user's group names, comma-separated (role names contain no comma)."""
    aggregate = "string_agg(g.name, ',')" if connection.vendor == "postgresql" else "group_concat(g.name, ',')"
    pk = connection.ops.quote_name(UserModel._meta.pk.column)
    return (
        f"(SELECT {aggregate} FROM auth_group g INNER JOIN auth_user_groups ug ON ug.group_id = g.id"
        f" WHERE ug.user_id = {user_alias}.{pk})"
    )


class RoleModelBackend(ModelBackend):
    """Django's ModelBackend, loading the user's study roles in the same query as the user.

    Every request of a signed-in user reads the user, and every page checks a role: one plain
    SELECT instead of two ORM queries.
    """

    def get_user(self, user_id):
        UserModel = get_user_model()
        connection = connections[router.db_for_read(UserModel)]
        sql, fields = _user_with_groups_query(UserModel, connection.alias)
        with connection.cursor() as cursor:
            cursor.execute(sql, [user_id])
            row = cursor.fetchone()
        if row is None:
            return None
        user = _from_row(UserModel, connection, fields, row[:-1])
        if not self.user_can_authenticate(user):
            return None
        user._trialsite_roles = roles_named((row[-1] or "").split(","))
        return user


@lru_cache(maxsize=8)
def _user_with_groups_query(UserModel, alias: str) -> tuple[str, tuple]:
    """The user's columns and group names in one SELECT."""
    connection = connections[alias]
    select, fields = _model_columns(UserModel, "u", alias)
    pk = connection.ops.quote_name(UserModel._meta.pk.column)
    table = connection.ops.quote_name(UserModel._meta.db_table)
    sql = f"SELECT {select}, {_groups_sql(UserModel, connection, 'u')} FROM {table} u WHERE u.{pk} = %s"
    return sql, fields


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
