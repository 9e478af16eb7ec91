"""GET /api/v1/principles/{slug}/versions/{n}/impact: the version against the published set (DESIGN.md 9)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from cxcore.api import DETAIL_SCHEMA
from membrane.models.principles import PrincipleVersion

from .api import READERS
from .impact_previews import impact_preview_request

_COUNT = {"type": "integer", "minimum": 0}
IMPACT_SCHEMA = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["ready", "running", "failed"]},
        "progress": {"type": "number", "minimum": 0, "maximum": 1},
        "as_of": {"type": "string", "format": "date-time"},
        "customers": {**_COUNT, "description": "The population compared: customers with stored facts."},
        "caps_included": {"type": "boolean", "description": "False: caps depend on contact history, not facts."},
        "changes": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "category": {"type": "string"},
                    "channel": {"type": "string"},
                    "allow_to_suppress": _COUNT,
                    "suppress_to_allow": _COUNT,
                    "examples": {"type": "array", "items": {"type": "string"}, "description": "external ids"},
                },
            },
            "description": "Per category and channel, customers whose verdict changes for at least one team.",
        },
        "actions": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "action": {"type": "string"},
                    "team": {"type": "string"},
                    "gained": _COUNT,
                    "lost": _COUNT,
                },
            },
            "description": "Prescribed actions the version adds for customers, or takes away.",
        },
        "campaigns": {"type": "array", "items": {"type": "object"}, "description": "None exist yet: empty."},
        "error": {"type": "string", "description": "Why a preview failed."},
    },
    "required": ["status", "progress"],
}


def version_for_impact(slug: str, number: int) -> PrincipleVersion:
    return get_object_or_404(PrincipleVersion.objects.select_related("principle"), principle__slug=slug, number=number)


class PrincipleImpactView(APIView):
    permission_classes = [READERS]

    @extend_schema(
        summary="A version's impact: customers whose verdict changes per category and channel",
        parameters=[OpenApiParameter("retire", bool, description="preview retiring the principle instead")],
        responses={
            200: OpenApiResponse(IMPACT_SCHEMA, description="The impact (status ready)."),
            202: OpenApiResponse(IMPACT_SCHEMA, description="Computed by a worker: status running and progress."),
            404: OpenApiResponse(DETAIL_SCHEMA, description="Unknown principle or version."),
        },
    )
    def get(self, request, slug: str, number: int):
        version = version_for_impact(slug, number)
        retire = request.query_params.get("retire") in ("1", "true")
        answer = impact_preview_request(version=version, retire=retire)
        return Response(answer, status=200 if answer["status"] == "ready" else 202)
