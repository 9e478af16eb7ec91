"""What every endpoint of API v1 shares (DESIGN.md section 9): the token scheme, the JSON parser and
renderer, the error shape and its documentation, the caller's name.

cxcore's endpoints: signals in (cxcore.api_signals), customer profiles in and the 360° view out
(cxcore.api_customers); the membrane's build on the same pieces."""

from __future__ import annotations

import codecs
import datetime as dt
import decimal
import io
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, parsers, renderers, status
from rest_framework.parsers import get_encoding
from rest_framework.response import Response
from rest_framework.utils import encoders, json

from . import json_fast
from .authentication import TokenUser
from .chunked_bodies import CUT_SHORT


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Documents the integrations' bearer tokens in /api/schema/ (registered by being defined)."""

    target_class = "cxcore.authentication.BearerTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A token from `python manage.py create_api_token NAME --scopes ingest,decide,read`.",
        }


class JSONParser(parsers.JSONParser):
    """DRF's parser, plus: absurdly nested JSON is a 400, not a RecursionError (a 500).

    A UTF-8 body is parsed by orjson where that gives the same value (json_fast.loads), which is
    cheaper for a batch of 1000 signals. Everything else, every error in particular, is parsed as
    DRF's parser would, with its messages, though decoded in one piece rather than through a codecs
    stream reader (json.load reads it all anyway): the same result for less work.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read()
        encoding = get_encoding(parser_context or {})
        if _is_utf8(encoding):
            parsed, value = json_fast.loads(raw)
            if parsed:
                return value
        try:
            try:
                return json.loads(raw.decode(encoding), parse_constant=json.strict_constant if self.strict else None)
            except ValueError:
                # DRF's own reading gives its exact answer (its stream reader forgives a truncated
                # last character, for one).
                return super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON nested too deeply.") from None


def _is_utf8(encoding: str) -> bool:
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


def invalid(detail: str, errors: list[dict[str, Any]]) -> Response:
    return Response({"detail": detail, "errors": errors}, status=status.HTTP_400_BAD_REQUEST)


class BodyTooLarge(RequestDataTooBig):
    """A body over an endpoint's own limit (body_allow): answered 413 naming that limit (cxcore.api_errors)."""

    def __init__(self, limit: int):
        super().__init__(f"Request body exceeded the endpoint's limit of {limit} bytes.")
        self.limit = limit


def body_allow(request, *, limit: int) -> None:
    """Lets this request's body be up to `limit` bytes rather than DATA_UPLOAD_MAX_MEMORY_SIZE, for an endpoint whose
    documented input is larger (a campaign's list of up to a million ids). Called after authentication and
    permissions, so only a caller allowed to write reaches it.

    Django checks the site's limit when it first reads the body, so the body is read here, within this limit,
    and kept where Django keeps a body it has read (`_body`); DRF's parsers then take it from there.
    """
    django_request = getattr(request, "_request", request)
    if hasattr(django_request, "_body") or django_request._read_started:
        return
    if django_request.META.get(CUT_SHORT):
        raise BodyTooLarge(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    length = int(django_request.META.get("CONTENT_LENGTH") or 0)
    if length > limit:
        raise BodyTooLarge(limit)
    django_request._body = django_request.read(length)
    django_request._stream = io.BytesIO(django_request._body)


def json_body(request, *, limit: int | None = None) -> tuple[Any, Response | None]:
    """The parsed JSON body, or the 400 answer when it is malformed. `limit`: the endpoint's own size limit
    (body_allow), when larger than the site's."""
    if limit is not None:
        body_allow(request, limit=limit)
    try:
        return request.data, None
    except exceptions.ParseError as exc:
        return None, invalid(
            f"Malformed JSON: {exc.detail}", [{"index": None, "field": None, "message": str(exc.detail)}]
        )


def caller_name(request) -> str:
    """Who is calling: the token's integration name, or the console user (used as source and asked_by)."""
    user = request.user
    if isinstance(user, TokenUser):
        return user.token.name
    return f"console:{user.get_username()}"


def _plain(value: Any) -> Any:
    """Decimals as strings (as DRF's serializers render them), datetimes as ISO 8601."""
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def jsonable(value: Any) -> Any:
    """`value` with its Decimals as strings and datetimes as ISO 8601, for any JSON renderer."""
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    return _plain(value)


class _PlainEncoder(encoders.JSONEncoder):
    def default(self, obj):
        plain = _plain(obj)
        return super().default(obj) if plain is obj else plain


class JSONRenderer(renderers.JSONRenderer):
    """DRF's renderer, converting as jsonable does inside the encoder: for an answer rendered on every
    request, walking it in Python first costs more than encoding it."""

    encoder_class = _PlainEncoder


ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "index": {"type": "integer", "nullable": True, "description": "Index of the item in the batch."},
                    "field": {"type": "string", "nullable": True},
                    "message": {"type": "string"},
                },
            },
        },
    },
    "required": ["detail"],
}
DETAIL_SCHEMA = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
AUTH_RESPONSES = {
    401: OpenApiResponse(DETAIL_SCHEMA, description="No token, or an invalid or revoked one."),
    403: OpenApiResponse(DETAIL_SCHEMA, description="The token lacks the scope."),
}
