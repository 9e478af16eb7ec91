"""API v1 of cxcore: signals in, customer profiles in, the 360° view out (DESIGN.md section 9)."""

from __future__ import annotations

import codecs
import datetime as dt
import decimal
import io
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, parsers, renderers, status
from rest_framework.parsers import get_encoding
from rest_framework.response import Response
from rest_framework.utils import encoders, json
from rest_framework.views import APIView

from . import json_fast
from .api_schemas import CUSTOMER_PROFILE, SIGNAL_ITEM
from .authentication import TokenUser, scope_required
from .gc_pause import collector_paused
from .ingest import MAX_BATCH, signals_ingest
from .models import Customer, Role
from .schemas import FieldError, InvalidInput, aware_datetime
from .selectors import customer_360, customer_profile
from .services import customer_upsert


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

    A UTF-8 body is parsed by orjson where that gives the same value (json_fast.loads): a batch of
    1000 signals in 0.8 ms instead of 1.1. Everything else, every error in particular, is parsed as
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


def _body(request) -> tuple[Any, Response | None]:
    """The parsed JSON body, or the 400 answer when it is malformed."""
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
_DETAIL_SCHEMA = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
_AUTH_RESPONSES = {
    401: OpenApiResponse(_DETAIL_SCHEMA, description="No token, or an invalid or revoked one."),
    403: OpenApiResponse(_DETAIL_SCHEMA, description="The token lacks the scope."),
}
_SIGNAL_EXAMPLE = {
    "customer": "M-1042",
    "kind": "ticket_opened",
    "occurred_at": "2024-05-01T09:30:00+02:00",
    "ticket_ref": "T-881",
    "issue_key": "terminal-connection",
    "severity": "high",
    "channel": "phone",
    "idempotency_key": "helpdesk-T-881-opened",
}


class SignalBatchView(APIView):
    parser_classes = [JSONParser]
    permission_classes = [scope_required("ingest", console_roles=(Role.ADMIN,))]

    @extend_schema(
        operation_id="signals_ingest",
        summary="Send a batch of signals",
        description=(
            f"Stores 1 to {MAX_BATCH} signals, all or nothing. An `idempotency_key` (or, without one, the "
            "item's content) makes a retry harmless: signals already stored are counted as duplicates. "
            "Keys are scoped to the token's integration, which is each signal's `source` (an item naming "
            "another source is refused). "
            "Unknown customers are created. Any invalid item answers 400 with the index and field of "
            "every error, and nothing of the batch is stored. Needs the `ingest` scope."
        ),
        tags=["signals"],
        request={
            "application/json": {
                "type": "object",
                "properties": {
                    "signals": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": MAX_BATCH,
                        "items": SIGNAL_ITEM.openapi(example=_SIGNAL_EXAMPLE),
                    }
                },
                "required": ["signals"],
                "additionalProperties": False,
            }
        },
        responses={
            201: OpenApiResponse(
                {
                    "type": "object",
                    "properties": {"accepted": {"type": "integer"}, "duplicates": {"type": "integer"}},
                    "required": ["accepted", "duplicates"],
                },
                description="Stored: how many signals are new, how many were already there.",
            ),
            400: OpenApiResponse(ERROR_SCHEMA, description="Invalid batch; nothing stored."),
            **_AUTH_RESPONSES,
        },
        examples=[
            OpenApiExample(
                "A ticket and a purchase",
                request_only=True,
                value={
                    "signals": [
                        _SIGNAL_EXAMPLE,
                        {
                            "customer": "M-1042",
                            "kind": "purchase",
                            "occurred_at": "2024-05-02T15:00:00Z",
                            "amount": "249.90",
                            "payload": {"sku": "TERM-2"},
                        },
                    ]
                },
            ),
            OpenApiExample(
                "Accepted", response_only=True, status_codes=["201"], value={"accepted": 2, "duplicates": 0}
            ),
            OpenApiExample(
                "Invalid items",
                response_only=True,
                status_codes=["400"],
                value={
                    "detail": "2 of 2 signals are invalid; nothing was stored.",
                    "errors": [
                        {
                            "index": 0,
                            "field": "occurred_at",
                            "message": "Needs a UTC offset (e.g. +02:00 or Z): a time without one is ambiguous.",
                        },
                        {"index": 1, "field": "kind", "message": "This field is required."},
                    ],
                },
            ),
        ],
    )
    def post(self, request):
        with collector_paused():
            return self._post(request)

    def _post(self, request):
        body, bad = _body(request)
        if bad:
            return bad
        if not isinstance(body, dict) or "signals" not in body:
            return invalid(
                'The body must be a JSON object {"signals": [...]}.',
                [{"index": None, "field": "signals", "message": "This field is required."}],
            )
        extra = sorted(str(key) for key in body if key != "signals")
        if extra:
            return invalid(
                "Unknown fields in the body.",
                [{"index": None, "field": key, "message": "Unknown field."} for key in extra],
            )
        try:
            result = signals_ingest(items=body["signals"], source=caller_name(request))
        except InvalidInput as exc:
            return invalid(exc.detail, exc.errors)
        return Response({"accepted": result.accepted, "duplicates": result.duplicates}, status=status.HTTP_201_CREATED)


_CONSOLE_READERS = tuple(Role.values)

_CUSTOMER_EXAMPLE = {
    "name": "Café Nord",
    "email": "owner@cafe-nord.example",
    "segment": "smb",
    "region": "north",
    "timezone": "Europe/Berlin",
    "lifetime_value": "1840.00",
    "attributes": {"terminal": "TERM-1"},
    "consent": {"email": True, "sms": False},
}


class CustomerView(APIView):
    parser_classes = [JSONParser]

    def get_permissions(self):
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return [scope_required("read", console_roles=_CONSOLE_READERS)()]
        return [scope_required("ingest", console_roles=(Role.ADMIN,))()]

    @extend_schema(
        operation_id="customer_get",
        summary="The 360° view of a customer",
        description=(
            "Profile, consent on every channel, signal counts by kind and the 50 most recent signals "
            "(newest first), as of `at` (default now); other parts join as the membrane adds them: the "
            "stage brought up to `at`, the facts, the latest stage changes (each with the rule that made it "
            "and the facts that rule read), what may be sent, open actions. Needs the `read` scope."
        ),
        tags=["customers"],
        parameters=[
            OpenApiParameter("at", str, description="ISO 8601 with offset: the view as of that time."),
        ],
        responses={
            200: OpenApiResponse({"type": "object", "additionalProperties": True}, description="The 360° view."),
            400: OpenApiResponse(ERROR_SCHEMA, description="A malformed `at`."),
            404: OpenApiResponse(_DETAIL_SCHEMA, description="Unknown customer."),
            **_AUTH_RESPONSES,
        },
        examples=[
            OpenApiExample(
                "A customer",
                response_only=True,
                status_codes=["200"],
                value={
                    "customer": "M-1042",
                    "as_of": "2024-05-03T10:00:00+00:00",
                    "profile": {
                        "external_id": "M-1042",
                        "name": "Café Nord",
                        "segment": "smb",
                        "timezone": "Europe/Berlin",
                    },
                    "consent": {
                        "email": True,
                        "in_app": False,
                        "letter": False,
                        "phone": False,
                        "push": False,
                        "sms": False,
                    },
                    "signal_counts": {"purchase": 1, "ticket_opened": 1},
                    "recent_signals": [
                        {"kind": "purchase", "occurred_at": "2024-05-02T15:00:00+00:00", "amount": "249.90"}
                    ],
                },
            )
        ],
    )
    def get(self, request, external_id: str):
        at = None
        if "at" in request.query_params:
            try:
                at = aware_datetime(request.query_params["at"])
            except FieldError as exc:
                return invalid("Invalid 'at'.", [{"index": None, "field": "at", "message": str(exc)}])
        customer = Customer.objects.filter(external_id=external_id).first()
        if customer is None:
            raise exceptions.NotFound("Unknown customer.")
        return Response(jsonable(customer_360(customer=customer, at=at)))

    @extend_schema(
        operation_id="customer_upsert",
        summary="Create or update a customer's profile",
        description=(
            "Fields left out keep their stored value; `consent` replaces the whole consent map (a channel "
            "not listed has no consent). 201 when created, 200 when updated. Needs the `ingest` scope."
        ),
        tags=["customers"],
        request={"application/json": CUSTOMER_PROFILE.openapi(example=_CUSTOMER_EXAMPLE)},
        responses={
            200: OpenApiResponse({"type": "object", "additionalProperties": True}, description="Updated."),
            201: OpenApiResponse({"type": "object", "additionalProperties": True}, description="Created."),
            400: OpenApiResponse(ERROR_SCHEMA, description="Invalid profile; nothing stored."),
            **_AUTH_RESPONSES,
        },
        examples=[
            OpenApiExample("A profile", request_only=True, value=_CUSTOMER_EXAMPLE),
            OpenApiExample(
                "Invalid",
                response_only=True,
                status_codes=["400"],
                value={
                    "detail": "The customer profile is invalid; nothing was stored.",
                    "errors": [
                        {
                            "index": None,
                            "field": "timezone",
                            "message": 'Must be an IANA time zone name, e.g. "Europe/Berlin".',
                        }
                    ],
                },
            ),
        ],
    )
    def put(self, request, external_id: str):
        body, bad = _body(request)
        if bad:
            return bad
        try:
            customer, created = customer_upsert(external_id=external_id, data=body)
        except InvalidInput as exc:
            return invalid(exc.detail, exc.errors)
        return Response(
            jsonable(customer_profile(customer=customer)),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
