"""API v1: signals in, a batch at a time (DESIGN.md section 9)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from .api import AUTH_RESPONSES, ERROR_SCHEMA, JSONParser, caller_name, invalid, json_body
from .api_schemas import SIGNAL_ITEM
from .authentication import scope_required
from .gc_pause import collector_paused
from .ingest import MAX_BATCH, signals_ingest
from .models import Role
from .schemas import InvalidInput

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
    throttle_scope = "ingest"
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
            **AUTH_RESPONSES,
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
        body, bad = json_body(request)
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
