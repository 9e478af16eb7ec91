"""POST /api/v1/decisions and /decisions/batch: may team X contact customer C about K on channel H at T?"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.core.exceptions import RequestDataTooBig
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from cxcore.api import ERROR_SCHEMA, JSONParser, JSONRenderer, caller_name, invalid
from cxcore.authentication import ReadsWithToken, RideAlong, scope_required
from cxcore.models import Role
from cxcore.schemas import Field, FieldError, Schema, aware_datetime, error, external_id_text

from .selectors import decision_inputs_read, decision_inputs_read_many, decision_inputs_ridden, decision_inputs_ride
from .services import decision_make, decisions_make_batch, interaction_errors
from .values import Decision, Interaction

MAX_BATCH = 1000
DECIDERS = scope_required("decide", console_roles=tuple(Role.values))
_REQUIRED = "This field is required (a string)."


def _required_text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise FieldError(_REQUIRED)
    return value


def _customer(value: Any) -> str:
    # Checked with the rest of the question, before any query: a lone surrogate or a NUL cannot even
    # be sent to the database.
    return external_id_text(_required_text(value))


def _key(example: str) -> Field:
    return Field(_required_text, {"type": "string", "example": example}, required=True, missing=_REQUIRED)


QUESTION = Schema(
    {
        "customer": Field(
            _customer,
            {"type": "string", "maxLength": 100, "description": "The customer's external id."},
            required=True,
            missing=_REQUIRED,
        ),
        "team": _key("marketing_devices"),
        "category": _key("upsell"),
        "channel": _key("email"),
        "at": Field(
            aware_datetime,
            {"type": "string", "format": "date-time", "description": "Default now; past, or up to a year ahead."},
            nullable=True,
        ),
    }
)
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


@dataclass(frozen=True)
class Question:
    customer: str  # the external id
    interaction: Interaction
    at: dt.datetime | None


def _question(item: Any, index: int | None, errors: list[dict]) -> Question | None:
    """Validates one question (its shape, then its vocabulary keys); None and `errors` appended if invalid."""
    clean = QUESTION.validate(item, errors=errors, index=index)
    if clean is None:
        return None
    interaction = Interaction(team=clean["team"], category=clean["category"], channel=clean["channel"])
    problems = interaction_errors(interaction)
    errors.extend(error(index, field, message) for field, message in problems.items())
    return None if problems else Question(clean["customer"], interaction, clean.get("at"))


def _answer(decision: Decision) -> dict:
    return decision.as_dict()  # Decimals and datetimes as jsonable() would give them: see JSONRenderer


@dataclass(frozen=True)
class _Asked:
    question: Question | None
    errors: list[dict]
    unreadable: Exception | None = None  # a malformed or too large body, raised once authenticated


class DecisionView(ReadsWithToken, APIView):
    """The hottest endpoint: a bearer token is looked up in the statement that reads the question's
    customer (ReadsWithToken), authenticated and checked as everywhere else before anything is answered."""

    throttle_scope = "decisions"
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
            "would have said at that time; or up to a year ahead: what it will say then if nothing new arrives "
            "(time moves days_in_stage and the day counts, and windowed counts expire). A campaign's preview "
            "answers exactly this for each audience member at its starts_at. Needs the `decide` scope."
        ),
        tags=["decisions"],
        request={"application/json": QUESTION.openapi()},
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
        asked = self.asked
        if asked.unreadable is not None:
            raise asked.unreadable
        if asked.question is None:
            return invalid("Invalid question.", asked.errors)
        question, ride = asked.question, self.customer_read
        inputs = (
            decision_inputs_ridden(ride)
            if ride.ran
            else decision_inputs_read(external_id=question.customer, at=question.at)
        )
        if inputs is None:
            detail = f"Unknown customer '{question.customer}'."
            return Response({"detail": detail}, status=status.HTTP_404_NOT_FOUND)
        decision = decision_make(
            inputs=inputs, interaction=question.interaction, at=question.at, asked_by=caller_name(request)
        )
        return Response(_answer(decision))

    # A view serves one request: the question is read once, during authentication when a bearer token's
    # lookup reads its customer, else in post().

    @cached_property
    def asked(self) -> _Asked:
        errors: list[dict] = []
        try:
            question = _question(self.request.data, None, errors)
        except (exceptions.ParseError, exceptions.UnsupportedMediaType, RequestDataTooBig) as exc:
            return _Asked(None, [], exc)
        return _Asked(question, errors)

    @cached_property
    def customer_read(self) -> RideAlong | None:
        question = self.asked.question
        return None if question is None else decision_inputs_ride(external_id=question.customer, at=question.at)

    def ride_along(self, request) -> RideAlong | None:
        return self.customer_read


class DecisionBatchView(APIView):
    throttle_scope = "decisions"
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
                "properties": {"decisions": {"type": "array", "items": QUESTION.openapi(), "maxItems": MAX_BATCH}},
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
                [error(None, "decisions", f"A list of 1 to {MAX_BATCH} questions.")],
            )
        errors: list[dict] = []
        questions = [_question(item, index, errors) for index, item in enumerate(items)]
        if errors:
            return invalid(f"{len({e['index'] for e in errors})} questions are invalid; nothing was decided.", errors)
        found = decision_inputs_read_many(external_ids=[q.customer for q in questions])
        known = [(found[q.customer], q.interaction, q.at) for q in questions if q.customer in found]
        decisions = iter(decisions_make_batch(items=known, asked_by=caller_name(request)))
        return Response(
            {
                "results": [
                    _answer(next(decisions))
                    if q.customer in found
                    else {"index": index, "status": 404, "detail": f"Unknown customer '{q.customer}'."}
                    for index, q in enumerate(questions)
                ]
            }
        )
