"""API v1: a customer's profile in, the 360° view out (DESIGN.md section 9)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from .api import AUTH_RESPONSES, DETAIL_SCHEMA, ERROR_SCHEMA, JSONParser, invalid, json_body, jsonable
from .api_schemas import CUSTOMER_PROFILE
from .authentication import scope_required
from .models import Customer, Role
from .privacy import customer_view_record, profile_minimised
from .schemas import FieldError, InvalidInput, aware_datetime
from .selectors import customer_360, customer_profile
from .services import customer_upsert

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
            "(newest first), as of `at` (default now), with `signals_next`: the `before` of "
            "`GET /api/v1/customers/{external_id}/signals` for the older ones (null when there are none); "
            "other parts join as the membrane adds them: the "
            "stage brought up to `at`, the facts, the latest stage changes (each with the rule that made it "
            "and the facts that rule read), what may be sent, open actions. Needs the `read` scope. "
            "A console marketer's profile has no `email` or `phone`; every read is recorded (who, when) "
            "for CX managers."
        ),
        tags=["customers"],
        parameters=[
            OpenApiParameter("at", str, description="ISO 8601 with offset: the view as of that time."),
        ],
        responses={
            200: OpenApiResponse({"type": "object", "additionalProperties": True}, description="The 360° view."),
            400: OpenApiResponse(ERROR_SCHEMA, description="A malformed `at`."),
            404: OpenApiResponse(DETAIL_SCHEMA, description="Unknown customer."),
            **AUTH_RESPONSES,
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
                        {"id": 5121, "kind": "purchase", "occurred_at": "2024-05-02T15:00:00+00:00", "amount": "249.90"}
                    ],
                    "signals_next": None,
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
        customer_view_record(customer=customer, user=request.user, via="api")
        view = customer_360(customer=customer, at=at)
        view["profile"] = profile_minimised(view["profile"], user=request.user)
        return Response(jsonable(view))

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
            **AUTH_RESPONSES,
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
        body, bad = json_body(request)
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
