"""GET /api/v1/principles/{slug}/versions/{n}/impact: the version against the published set (DESIGN.md 9)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from membrane.models.principles import PrincipleVersion

from .api import READERS
from .impact_previews import impact_preview_request


def version_for_impact(slug: str, number: int) -> PrincipleVersion:
    return get_object_or_404(PrincipleVersion.objects.select_related("principle"), principle__slug=slug, number=number)


class PrincipleImpactView(APIView):
    permission_classes = [READERS]

    @extend_schema(
        summary="A version's impact: customers whose verdict changes per category and channel",
        parameters=[OpenApiParameter("retire", bool, description="preview retiring the principle instead")],
        responses={
            200: OpenApiResponse(description="status ready, as_of, customers, changes, actions, campaigns"),
            202: OpenApiResponse(description="status running and progress (0..1): ask again"),
        },
    )
    def get(self, request, slug: str, number: int):
        version = version_for_impact(slug, number)
        retire = request.query_params.get("retire") in ("1", "true")
        answer = impact_preview_request(version=version, retire=retire)
        return Response(answer, status=200 if answer["status"] == "ready" else 202)
