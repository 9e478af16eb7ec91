"""API v1: a customer's signals, newest first, a page at a time (the 360° view shows the first page)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from .api import AUTH_RESPONSES, DETAIL_SCHEMA, ERROR_SCHEMA, invalid, jsonable
from .authentication import scope_required
from .models import Customer, Role
from .schemas import InvalidInput
from .selectors import TIMELINE_MAX_PAGE, TIMELINE_PAGE, customer_timeline
from .timeline_params import timeline_query_parse

_LIST = "One value, several separated by commas, or the parameter repeated: a signal matches any of them."

_PAGE_SCHEMA = {
    "type": "object",
    "properties": {
        "customer": {"type": "string", "description": "The customer's external id."},
        "signals": {
            "type": "array",
            "description": "Newest first: by occurred_at, then by id for signals of the same instant.",
            "items": {"type": "object", "additionalProperties": True},
        },
        "next": {
            "type": "string",
            "nullable": True,
            "description": "Pass as `before` (with the same filters) for the next, older page; null on the last.",
        },
    },
    "required": ["customer", "signals", "next"],
}


class CustomerSignalsView(APIView):
    def get_permissions(self):
        return [scope_required("read", console_roles=tuple(Role.values))()]

    @extend_schema(
        operation_id="customer_signals",
        summary="A customer's signals, a page at a time",
        description=(
            "Every signal of the customer (also those dated in the future), newest first, filtered by kind, "
            "channel and team, `limit` at a time; `next` continues where the page ends, so following it "
            "reaches every matching signal exactly once, however long the history and whatever arrives "
            "meanwhile. Each page costs the same whatever the history. Needs the `read` scope."
        ),
        tags=["customers"],
        parameters=[
            OpenApiParameter("kind", str, description=f"Signal kinds. {_LIST}"),
            OpenApiParameter("channel", str, description=f"Channel keys. {_LIST}"),
            OpenApiParameter("team", str, description=f"Team keys. {_LIST}"),
            OpenApiParameter("before", str, description="The `next` of the previous page, as it was given."),
            OpenApiParameter(
                "limit", int, description=f"Signals per page, 1 to {TIMELINE_MAX_PAGE} (default {TIMELINE_PAGE})."
            ),
        ],
        responses={
            200: OpenApiResponse(_PAGE_SCHEMA, description="A page of signals and where the next starts."),
            400: OpenApiResponse(
                ERROR_SCHEMA, description="An unknown channel, team or parameter, a malformed cursor or limit."
            ),
            404: OpenApiResponse(DETAIL_SCHEMA, description="Unknown customer."),
            **AUTH_RESPONSES,
        },
        examples=[
            OpenApiExample(
                "A page",
                response_only=True,
                status_codes=["200"],
                value={
                    "customer": "M-1042",
                    "signals": [
                        {
                            "id": 5123,
                            "kind": "complaint",
                            "occurred_at": "2024-05-02T15:00:00+00:00",
                            "channel": "email",
                            "team": "service",
                        }
                    ],
                    "next": "1714662000000000_5123",
                },
            )
        ],
    )
    def get(self, request, external_id: str):
        try:
            query = timeline_query_parse(request.query_params)
        except InvalidInput as exc:
            return invalid(exc.detail, exc.errors)
        customer_id = Customer.objects.filter(external_id=external_id).values_list("pk", flat=True).first()
        if customer_id is None:
            raise exceptions.NotFound("Unknown customer.")
        page = customer_timeline(customer_id=customer_id, query=query)
        return Response(
            jsonable(
                {"customer": external_id, "signals": page.signals, "next": page.next.token() if page.next else None}
            )
        )
