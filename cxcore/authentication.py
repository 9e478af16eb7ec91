"""Bearer tokens for integrations, and a permission class per scope."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone
from rest_framework import authentication, exceptions, permissions

from .db import RowModel, hot_cursor
from .models import ApiToken

# Stands for the key's hash in the SQL compiled once; never a real hash (hashes are hex digits).
_KEY_HASH = "\x00key_hash\x00"


@functools.cache
def _token_lookup(vendor: str) -> tuple[str, tuple, RowModel]:
    # Every API request looks its token up: compiling the ORM query each time cost more than the
    # database's answer, so it is compiled once per process (and vendor) and runs as a hot statement.
    tokens = RowModel(ApiToken)
    queryset = ApiToken.objects.filter(key_hash=_KEY_HASH, revoked_at__isnull=True).order_by()
    sql, params = queryset.values_list(*(f.attname for f in tokens.fields)).query.sql_with_params()
    return sql, params, tokens


def token_for_key(key: str) -> ApiToken | None:
    """The token whose key this is, unless revoked."""
    sql, params, tokens = _token_lookup(connection.vendor)
    key_hash = ApiToken.hash_key(key)
    with hot_cursor() as cursor:
        cursor.execute(sql, [key_hash if param == _KEY_HASH else param for param in params])
        row = cursor.fetchone()
    return None if row is None else tokens.instance(row)


@dataclass(frozen=True)
class TokenSelect:
    """The token lookup as a subquery, for a statement that reads the token with its own rows.

    `sql` selects `tokens`' columns (read in binary, see cxcore.db.hot_cursor) of the unrevoked token
    whose hash is bound to the `key_hash` placeholder in `params`; `tokens.instance()` makes the row
    the ApiToken that token_for_key would have returned.
    """

    sql: str
    params: tuple
    tokens: RowModel
    key_hash: str = _KEY_HASH


@functools.cache
def token_select(alias: str) -> TokenSelect:
    """The lookup of token_for_key (by key hash, unless revoked) for PostgreSQL, the table named `alias`."""
    tokens = RowModel(ApiToken)
    quote = connection.ops.quote_name
    key_hash, revoked_at = (
        f"{alias}.{quote(ApiToken._meta.get_field(name).column)}" for name in ("key_hash", "revoked_at")
    )
    return TokenSelect(
        sql=(
            f"SELECT {', '.join(tokens.columns(alias, binary=True))} FROM {quote(ApiToken._meta.db_table)} AS {alias} "
            f"WHERE {key_hash} = %s AND {revoked_at} IS NULL"
        ),
        params=(_KEY_HASH,),
        tokens=tokens,
    )


def bearer_key(request) -> str | None:
    """The key of an `Authorization: Bearer <key>` header; None without one; AuthenticationFailed if malformed."""
    header = authentication.get_authorization_header(request).split()
    if not header or header[0].lower() != BearerTokenAuthentication.keyword.lower().encode():
        return None
    if len(header) != 2:
        raise exceptions.AuthenticationFailed("Authorization header must be 'Bearer <token>'.")
    return header[1].decode(errors="replace")


def token_accept(token: ApiToken | None) -> tuple[TokenUser, ApiToken]:
    """The (user, auth) of a request that presented this token (None: unknown or revoked, a 401)."""
    if token is None:
        raise exceptions.AuthenticationFailed("Invalid or revoked token.")
    # One write per minute at most: the hot path should not update a row per request.
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return TokenUser(token), token


class TokenUser:
    """The identity of an integration calling with a token (not a console user)."""

    is_authenticated = True
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None

    def __init__(self, token: ApiToken):
        self.token = token
        self.username = f"token:{token.name}"

    def __str__(self) -> str:
        return self.username


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        key = bearer_key(request)
        return None if key is None else token_accept(token_for_key(key))

    def authenticate_header(self, request) -> str:
        return self.keyword


def scope_required(scope: str, *, console_roles: tuple[str, ...] = ()) -> type[permissions.BasePermission]:
    """A token needs `scope`; a console user (session) needs one of `console_roles` (any role if empty)."""

    class HasScope(permissions.BasePermission):
        message = f"This token lacks the '{scope}' scope."

        def has_permission(self, request, view) -> bool:
            user = request.user
            if user is None or not user.is_authenticated:
                return False
            if isinstance(user, TokenUser):
                return user.token.has_scope(scope)
            if not console_roles:
                return True
            return user.has_role(*console_roles)

    HasScope.__name__ = f"HasScope_{scope}"
    return HasScope
