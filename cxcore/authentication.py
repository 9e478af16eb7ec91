"""Bearer tokens for integrations, and a permission class per scope: every endpoint's access check.

BearerTokenAuthentication (first of DEFAULT_AUTHENTICATION_CLASSES, before the console's session)
is where a bearer key becomes an identity, and `scope_required` where an identity is let in, for
every endpoint: DRF runs both before the view answers anything. A view whose first read is a
lookup of one row may have it ride along with the token's lookup (ReadsWithToken): one round trip
instead of two on the hottest endpoint, the token accepted or refused exactly as alone.
"""

from __future__ import annotations

import functools
from typing import Any

from django.db import connection
from django.utils import timezone
from rest_framework import authentication, exceptions, permissions

from .db import HotQuery, Slot, instance, model_columns
from .models import ApiToken


@functools.cache
def _token_query(vendor: str) -> HotQuery:
    # Every API request looks its token up (a hot statement: see cxcore.db).
    unrevoked = ApiToken.objects.filter(key_hash=Slot("key_hash"), revoked_at__isnull=True).order_by()
    return HotQuery.of(unrevoked.values_list(*model_columns(ApiToken))[:1])


def _token(row) -> ApiToken | None:
    return None if row is None or row[0] is None else instance(ApiToken, row)


def token_for_key(key: str) -> ApiToken | None:
    """The token whose key this is, unless revoked."""
    return _token(_token_query(connection.vendor).first(key_hash=ApiToken.hash_key(key)))


class RideAlong:
    """A lookup of at most one row (`query`, its slots filled from `values`) that rides along with the
    caller's token lookup, in one statement. The authenticator leaves its row in `row` (None when it
    found nothing) and sets `ran`; the first column of `query` must be one never null (a key)."""

    def __init__(self, query: HotQuery, **values: Any):
        self.query = query
        self.values = values
        self.ran = False
        self.row: list | None = None


class ReadsWithToken:
    """A view whose first read may ride along with its caller's bearer token lookup.

    Asked before the view runs (during authentication, bearer tokens only); returns the read, or
    None when it has none to make (its input is invalid: the view answers that once authenticated).
    """

    def ride_along(self, request) -> RideAlong | None:
        raise NotImplementedError


@functools.cache
def _token_with(vendor: str, query: HotQuery) -> HotQuery:
    return HotQuery.side_by_side(_token_query(vendor), query)


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

    def has_role(self, *roles: str) -> bool:
        """An integration holds scopes, never a console role (pages it may open, such as the API docs,
        ask this of whoever is calling)."""
        return False


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        key = bearer_key(request)
        if key is None:
            return None
        view = request.parser_context.get("view")
        ride = view.ride_along(request) if isinstance(view, ReadsWithToken) else None
        if ride is None:
            return token_accept(token_for_key(key))
        statement = _token_with(connection.vendor, ride.query)
        row = statement.first(key_hash=ApiToken.hash_key(key), **ride.values)
        token_row, ride_row = statement.split(row)
        ride.row = None if ride_row[0] is None else ride_row
        ride.ran = True
        return token_accept(_token(token_row))

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
