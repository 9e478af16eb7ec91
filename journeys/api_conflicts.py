"""GET /api/v1/conflicts: the conflicts between the scheduled campaigns (DESIGN.md section 9).

Tokens need the `read` or the `campaigns` scope; console users sign in with a session (marketers, CX
managers, administrators; agents plan no campaigns and get 403). The same service as the conflict board.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from .api import READERS, REFUSED
from .conflicts import KINDS, SEVERITIES, conflicts_find

_TIME = {"type": "string", "format": "date-time"}
_WINDOW = {"type": "object", "properties": {"starts_at": _TIME, "ends_at": _TIME}}
CONFLICT_SCHEMA = {
    "type": "object",
    "properties": {
        "kind": {"type": "string", "enum": list(KINDS)},
        "campaigns": {"type": "array", "items": {"type": "integer"}, "description": "The campaigns' ids."},
        "teams": {"type": "array", "items": {"type": "string"}, "description": "Their teams' keys."},
        "customers": {
            "type": "integer",
            "description": "overlap: customers in both audiences; suppressed_audience: those the principles "
            "suppress; over_cap: those the combined touches would contact above the cap.",
        },
        "same_channel": {"type": "boolean"},
        "severity": {"type": "string", "enum": list(SEVERITIES)},
        "window": _WINDOW,
        "summary": {"type": "string", "description": "One sentence saying what collides."},
        "cap": {
            "type": "object",
            "description": "over_cap only: the cap principle, its version, n and days.",
            "properties": {
                "principle": {"type": "string"},
                "version": {"type": "integer"},
                "n": {"type": "integer"},
                "days": {"type": "integer"},
            },
        },
    },
    "required": ["kind", "campaigns", "teams", "customers", "same_channel", "severity", "window"],
}


class ConflictsView(APIView):
    permission_classes = [READERS]

    @extend_schema(
        operation_id="conflicts_list",
        summary="The conflicts between the scheduled campaigns",
        description=(
            "`overlap`: two campaigns whose windows overlap and whose audiences share customers; "
            "`suppressed_audience`: a campaign whose audience the published principles suppress in part "
            "(consent included); `over_cap`: campaigns whose combined touches in one window of a published "
            "cap's days exceed its n for customers its condition holds for. Audiences are read over the "
            "stored facts at each campaign's start (now for one already running). Most severe first. Needs "
            "the `read` or the `campaigns` scope; console users: marketers, CX managers, administrators."
        ),
        tags=["campaigns"],
        responses={
            200: OpenApiResponse({"type": "array", "items": CONFLICT_SCHEMA}, description="The conflicts."),
            **REFUSED,
        },
        examples=[
            OpenApiExample(
                "Two departments' campaigns reach the same customers",
                response_only=True,
                status_codes=["200"],
                value=[
                    {
                        "kind": "overlap",
                        "campaigns": [1, 2],
                        "teams": ["marketing_devices", "marketing_services"],
                        "customers": 812,
                        "same_channel": True,
                        "severity": "high",
                        "window": {"starts_at": "2026-12-10T08:00:00+00:00", "ends_at": "2026-12-20T18:00:00+00:00"},
                        "summary": "'New terminals' and 'Service plans' reach 812 customers in the same days, "
                        "on the same channel.",
                    }
                ],
            )
        ],
    )
    def get(self, request):
        return Response([conflict.as_dict() for conflict in conflicts_find()])
