"""POST /api/v1/decisions and /decisions/batch: may team X contact customer C about K on channel H at T?"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import RequestDataTooBig
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from cxcore.api import ERROR_SCHEMA, JSONParser, JSONRenderer, caller_name, invalid
from cxcore.authentication import BearerTokenAuthentication, bearer_key, scope_required, token_accept
from cxcore.models import Role
from cxcore.schemas import FieldError, aware_datetime, external_id_text
from membrane.decisions.selectors import (
    customer_and_token_for_decision,
    customer_for_decision,
    customers_for_decisions,
)
from membrane.decisions.services import Decision, Interaction, decision_make, decisions_make_batch, interaction_errors

MAX_BATCH = 1000
FIELDS = ("customer", "team", "category", "channel", "at")
DECIDERS = scope_required("decide", console_roles=tuple(Role.values))

_QUESTION = {
    "type": "object",
    "properties": {
        "customer": {"type": "string", "description": "The customer's external id."},
        "team": {"type": "string", "example": "marketing_devices"},
        "category": {"type": "string", "example": "upsell"},
        "channel": {"type": "string", "example": "email"},
        "at": {"type": "string", "format": "date-time", "description": "Default now; may lie in the past."},
    },
    "required": ["customer", "team", "category", "channel"],
    "additionalProperties": False,
}
_ANSWER = {
    "type": "object",
    "properties": {
        "verdict": {"type": "string", "enum": ["allow", "suppress"]},
        "decided_by": {
            "oneOf": [
                {"type": "object", "properties": {"principle": {"type": "string"}, "version": {"type": "integer"}}},
                {"type": "string", "enum": ["consent"]},
            ],
            "nullable": True,
        },
        "stage": {"type": "string"},
        "matched": {"type": "array", "items": {"type": "object"}},
        "facts": {"type": "object"},
        "actions": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "kind": {"type": "string"},
                    "team": {"type": "string"},
                    "principle": {"type": "string"},
                    "due": {"type": "string", "format": "date-time"},
                },
            },
        },
        "reason": {"type": "string"},
        "retry_after": {"type": "string", "format": "date-time", "description": "Only when a cap suppressed."},
        "decision_id": {"type": "string", "format": "uuid"},
        "at": {"type": "string", "format": "date-time"},
    },
    "required": ["verdict", "decided_by", "stage", "matched", "facts", "actions", "reason", "decision_id"],
}


def _question(item: Any, index: int | None) -> tuple[tuple[str, Interaction, dt.datetime | None] | None, list[dict]]:
    """Parses one question; returns it, or the errors with the item's index and field."""
    if not isinstance(item, dict):
        return None, [{"index": index, "field": None, "message": "Must be an object."}]
    errors = [{"index": index, "field": key, "message": "Unknown field."} for key in item if key not in FIELDS]
    for key in ("customer", "team", "category", "channel"):
        if not isinstance(item.get(key), str) or not item[key]:
            errors.append({"index": index, "field": key, "message": "This field is required (a string)."})
    if isinstance(item.get("customer"), str) and item["customer"]:
        # Checked here, before any query: a lone surrogate or a NUL cannot even be sent to the database.
        try:
            external_id_text(item["customer"])
        except FieldError as exc:
            errors.append({"index": index, "field": "customer", "message": str(exc)})
    at = None
    if item.get("at") is not None:
        try:
            at = aware_datetime(item["at"])
        except FieldError as exc:
            errors.append({"index": index, "field": "at", "message": str(exc)})
    if errors:
        return None, errors
    interaction = Interaction(team=item["team"], category=item["category"], channel=item["channel"])
    errors = [
        {"index": index, "field": field, "message": message}
        for field, message in interaction_errors(interaction).items()
    ]
    return (None, errors) if errors else ((item["customer"], interaction, at), [])


def _answer(decision: Decision) -> dict:
    return decision.as_dict()  # Decimals and datetimes as jsonable() would give them: see JSONRenderer


class DecisionView(APIView):
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]
    permission_classes = [DECIDERS]

    @extend_schema(
        operation_id="decision_make",
        summary="Ask whether a contact is allowed",
        description=(
            "Decides for (customer, team, category, channel, at) by consent, the published principles and "
            "their caps, explains the answer in one sentence, lists the actions prescribed as of `at`, and "
            "appends it to the decision log. `at` may lie in the past: the answer is then what the membrane "
            "would have said at that time. Needs the `decide` scope."
        ),
        tags=["decisions"],
        request={"application/json": _QUESTION},
        responses={
            200: OpenApiResponse(_ANSWER),
            400: OpenApiResponse(ERROR_SCHEMA, description="Invalid question."),
            404: OpenApiResponse(ERROR_SCHEMA, description="Unknown customer."),
        },
        examples=[
            OpenApiExample(
                "Upsell in a crisis",
                request_only=True,
                value={"customer": "M-1042", "team": "marketing_devices", "category": "upsell", "channel": "email"},
            )
        ],
    )
    def post(self, request):
        key = self.key_read_with_customer(request)
        try:
            question, errors = _question(request.data, None)
        except (exceptions.ParseError, RequestDataTooBig):
            self.authenticate_now(request)  # a bad token is a 401 before a bad body is a 400 (or a 413)
            raise
        if errors:
            self.authenticate_now(request)
            return invalid("Invalid question.", errors)
        external_id, interaction, at = question
        if key is None:
            self.authenticate_now(request)
            customer = customer_for_decision(external_id=external_id)
        else:
            customer, token = customer_and_token_for_decision(external_id=external_id, key=key)
            request.user, request.auth = token_accept(token)
            self.check_permissions(request)
        if customer is None:
            return Response({"detail": f"Unknown customer '{external_id}'."}, status=status.HTTP_404_NOT_FOUND)
        decision = decision_make(customer=customer, interaction=interaction, at=at, asked_by=caller_name(request))
        return Response(_answer(decision))

    # The hottest endpoint reads a bearer token in the statement that reads the question's customer,
    # not before the view as DRF would: one round trip less. Until then request.user stays lazy, so
    # anything that reads it authenticates as usual, and post() authenticates and checks permissions
    # (authenticate_now, or token_accept and check_permissions) before it answers anything.

    def key_read_with_customer(self, request) -> str | None:
        """The bearer key whose token post() reads with the customer; None when authenticated as usual."""
        if "_user" in request.__dict__:
            return None
        if not hasattr(self, "_deferred_key"):  # a view instance serves one request
            authenticators = request.authenticators
            bearer_first = bool(authenticators) and isinstance(authenticators[0], BearerTokenAuthentication)
            self._deferred_key = bearer_key(request) if bearer_first else None
        return self._deferred_key

    def perform_authentication(self, request) -> None:
        if self.key_read_with_customer(request) is None:
            super().perform_authentication(request)

    def check_permissions(self, request) -> None:
        if self.key_read_with_customer(request) is None:
            super().check_permissions(request)

    def authenticate_now(self, request) -> None:
        request.user  # noqa: B018 (DRF authenticates on first access)
        self.check_permissions(request)


class DecisionBatchView(APIView):
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]
    permission_classes = [DECIDERS]

    @extend_schema(
        operation_id="decisions_batch",
        summary="Ask up to 1000 questions at once",
        description=(
            f'`{{"decisions": [...]}}` with 1 to {MAX_BATCH} questions; answers `{{"results": [...]}}` in the '
            "same order. A malformed question is a 400 for the whole batch (every error with its index); an "
            'unknown customer is answered in place with `{"index", "status": 404, "detail"}`.'
        ),
        tags=["decisions"],
        request={
            "application/json": {
                "type": "object",
                "properties": {"decisions": {"type": "array", "items": _QUESTION, "maxItems": MAX_BATCH}},
                "required": ["decisions"],
            }
        },
        responses={
            200: OpenApiResponse({"type": "object", "properties": {"results": {"type": "array", "items": _ANSWER}}}),
            400: OpenApiResponse(ERROR_SCHEMA, description="Invalid batch; nothing decided."),
        },
    )
    def post(self, request):
        body = request.data
        items = body.get("decisions") if isinstance(body, dict) else None
        if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
            return invalid(
                f'The body must be {{"decisions": [...]}} with 1 to {MAX_BATCH} questions.',
                [{"index": None, "field": "decisions", "message": f"A list of 1 to {MAX_BATCH} questions."}],
            )
        questions, errors = [], []
        for index, item in enumerate(items):
            question, item_errors = _question(item, index)
            questions.append(question)
            errors.extend(item_errors)
        if errors:
            return invalid(f"{len({e['index'] for e in errors})} questions are invalid; nothing was decided.", errors)
        customers = customers_for_decisions(external_ids=[q[0] for q in questions])
        known = [(c, i, at) for external_id, i, at in questions if (c := customers.get(external_id)) is not None]
        decisions = iter(decisions_make_batch(items=known, asked_by=caller_name(request)))
        results = []
        for index, (external_id, _interaction, _at) in enumerate(questions):
            if external_id in customers:
                results.append(_answer(next(decisions)))
            else:
                results.append({"index": index, "status": 404, "detail": f"Unknown customer '{external_id}'."})
        return Response({"results": results})
