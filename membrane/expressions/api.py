"""POST /api/v1/expressions/check: an expression checked against the facts of its context."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from cxcore.api import ERROR_SCHEMA, invalid
from cxcore.authentication import scope_required
from cxcore.models import Role
from cxcore.schemas import Field, FieldError, Schema, choice
from membrane.catalogue import CONTEXTS, facts_for

from . import check_report


def _source(value: Any) -> str:
    # Any text, blank included: the checker reports an over-long or unstorable expression with its
    # position and limit, like any other problem. A NUL never reaches it (no database takes one).
    if not isinstance(value, str):
        raise FieldError("Not a valid string.")
    if "\x00" in value:
        raise FieldError("Null characters are not allowed.")
    return value


CHECK = Schema(
    {
        "expression": Field(_source, {"type": "string", "description": "The expression, as typed."}, required=True),
        "context": Field(
            choice(CONTEXTS),
            {"type": "string", "enum": list(CONTEXTS), "description": "Which facts it may read."},
            required=True,
        ),
    }
)
_PROBLEM = {
    "type": "object",
    "properties": {
        "line": {"type": "integer"},
        "column": {"type": "integer"},
        "message": {"type": "string"},
        "suggestion": {"type": "string"},
    },
    "required": ["line", "column", "message"],
}
_REPORT = {
    "type": "object",
    "properties": {
        "ok": {"type": "boolean"},
        "facts": {"type": "array", "items": {"type": "string"}, "description": "When ok: the facts it reads."},
        "errors": {"type": "array", "items": _PROBLEM, "description": "When not ok: every problem."},
    },
    "required": ["ok"],
}


class ExpressionCheckView(APIView):
    """Check an expression against the facts of its context: the same check the console editor runs."""

    # Reads nothing but the catalogue, yet like every endpoint it needs a scope or a console role.
    permission_classes = [scope_required("read", console_roles=tuple(Role.values))]

    @extend_schema(
        request={"application/json": CHECK.openapi()},
        responses={200: OpenApiResponse(_REPORT), 400: OpenApiResponse(ERROR_SCHEMA, description="Invalid body.")},
    )
    def post(self, request):
        errors: list[dict] = []
        body = CHECK.validate(request.data, errors=errors)
        if body is None:
            return invalid("Invalid input.", errors)
        return Response(check_report(body["expression"], facts_for(body["context"])))
