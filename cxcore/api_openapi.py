"""The OpenAPI schema's generator for API v1: drf-spectacular's, plus the answers every endpoint can give
whatever its own documentation says (issue 18; schemathesis found each of them undocumented somewhere).

- 401 and 403 where the view lets only some callers in: no or a bad token, a token without the scope or
  a console user without the role (cxcore.api_errors turns DRF's NotAuthenticated into a 401).
- 429 where a rate limit applies (cxcore.throttling), with `Retry-After`.
- 413 on a body larger than DATA_UPLOAD_MAX_MEMORY_SIZE, or an endpoint's own limit (cxcore.api_errors).
- 503 with `Retry-After` when the database does not answer (cxcore.views_errors): any endpoint, since even
  the token's lookup reads it.

An endpoint's own `extend_schema(responses=...)` wins where it documents a code itself."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework.permissions import AllowAny

from .api import DETAIL_SCHEMA

_UNAUTHENTICATED = OpenApiResponse(DETAIL_SCHEMA, description="No token or session, or an invalid or revoked token.")
_FORBIDDEN = OpenApiResponse(
    DETAIL_SCHEMA, description="The token lacks the scope, or the console user's role may not do this."
)
_TOO_MANY = OpenApiResponse(
    DETAIL_SCHEMA,
    description="Over the caller's rate limit (settings API_RATE_LIMITS); `Retry-After` gives the seconds to wait.",
)
_TOO_LARGE = OpenApiResponse(DETAIL_SCHEMA, description="The request body is larger than the server accepts.")
_UNAVAILABLE = OpenApiResponse(
    DETAIL_SCHEMA,
    description="The database did not answer (restarting or unreachable); nothing is wrong with the request. "
    "`Retry-After` gives the seconds to wait before sending it again.",
)


class AutoSchema(SpectacularAutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code, response in self._common_responses().items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses

    def _common_responses(self) -> dict[str, OpenApiResponse]:
        common = {}
        if not all(isinstance(permission, AllowAny) for permission in self.view.get_permissions()):
            common["401"] = _UNAUTHENTICATED
            common["403"] = _FORBIDDEN
        if self.method in ("POST", "PUT", "PATCH"):
            common["413"] = _TOO_LARGE
        if self.view.get_throttles():
            common["429"] = _TOO_MANY
        common["503"] = _UNAVAILABLE
        return common
