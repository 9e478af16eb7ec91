"""/api/v1/campaigns/{id}/preview and preview.csv: the suppression preview of DESIGN.md section 9.

Reading a preview is a read: tokens with the `campaigns` or `read` scope, marketers and CX managers (of any
team: a marketer sees who another team's campaign would reach, not who it may write to). Each audience member
counts once, under what decides for them: what POST /api/v1/decisions answers for them at the campaign's
`starts_at` (with `at` up to a year ahead, what it will answer then if nothing new arrives): consent, the
allow/suppress principles, and the caps, which count the outbound contacts already made in their window.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from cxcore.api import AUTH_RESPONSES, DETAIL_SCHEMA

from .api import READERS
from .preview import preview_members
from .preview_store import preview_current, preview_json, preview_request
from .selectors import campaign_get_for_user
from .verdicts import PreviewRefused, preview_check

_ID = [OpenApiParameter("id", int, OpenApiParameter.PATH, description="The campaign's id.")]
_DECIDED_BY = {
    "oneOf": [
        {"type": "object", "properties": {"principle": {"type": "string"}, "version": {"type": "integer"}}},
        {"type": "string", "enum": ["consent"]},
    ],
    "nullable": True,
}
PREVIEW_DOC = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["none", "running", "ready", "failed"]},
        "progress": {"type": "number", "minimum": 0, "maximum": 1},
        "as_of": {"type": "string", "format": "date-time", "description": "The time decided for: starts_at."},
        "computed_at": {"type": "string", "format": "date-time"},
        "audience": {"type": "integer"},
        "allowed": {"type": "integer"},
        "suppressed": {"type": "integer"},
        "by_principle": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "principle": {"type": "string", "nullable": True, "description": "A slug, consent, or null."},
                    "version": {"type": "integer", "nullable": True},
                    "title": {"type": "string"},
                    "verdict": {"type": "string", "enum": ["allow", "suppress"]},
                    "customers": {"type": "integer"},
                },
            },
        },
        "by_stage": {"type": "object", "additionalProperties": {"type": "object"}},
        "lost_to": {
            "type": "array",
            "description": (
                "Of the customers this campaign would reach (its audience, less those consent, the principles "
                "or a cap hold back), those a colliding scheduled campaign of higher rank keeps (higher priority, "
                "then the earlier start, then the lower id): windows overlapping, audiences holding the customer. "
                "A campaign keeps only the customers it will itself reach: one the membrane suppresses for the "
                "winner stays with this campaign. Most first."
            ),
            "items": {
                "type": "object",
                "properties": {"campaign": {"type": "integer"}, "customers": {"type": "integer"}},
            },
        },
        "sample": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "customer": {"type": "string"},
                    "verdict": {"type": "string"},
                    "decided_by": _DECIDED_BY,
                    "reason": {"type": "string"},
                },
            },
        },
    },
}
_RESPONSES = {404: OpenApiResponse(DETAIL_SCHEMA, description="No such campaign."), **AUTH_RESPONSES}


class CampaignPreviewView(APIView):
    def get_permissions(self):
        return [READERS()]

    @extend_schema(
        operation_id="campaign_preview_read",
        summary="A campaign's suppression preview",
        description=(
            "The preview kept for the campaign as it stands (status none when there is none yet). Each audience "
            "member counts once, under what POST /api/v1/decisions answers for them at the campaign's starts_at: "
            "consent, the allow/suppress principles, then the caps in scope, which count the outbound contacts "
            "already made in their window (the campaign's own touches are not contacts yet)."
        ),
        tags=["campaigns"],
        parameters=_ID,
        responses={200: OpenApiResponse(PREVIEW_DOC), **_RESPONSES},
    )
    def get(self, request, pk: int):
        campaign = campaign_get_for_user(request.user, pk)
        return Response(preview_json(preview_current(campaign=campaign)))

    @extend_schema(
        operation_id="campaign_preview_start",
        summary="Preview a campaign's suppressions",
        description=(
            "200 with the preview when it is computed at once (a small population, or one kept since nothing "
            'it reads has changed); 202 `{"preview": id}` when a worker computes it: GET it for progress.'
        ),
        tags=["campaigns"],
        parameters=_ID,
        request=None,
        responses={
            200: OpenApiResponse(PREVIEW_DOC),
            202: OpenApiResponse(dict),
            400: OpenApiResponse(DETAIL_SCHEMA, description="The campaign starts more than a year ahead."),
            **_RESPONSES,
        },
    )
    def post(self, request, pk: int):
        campaign = campaign_get_for_user(request.user, pk)
        try:
            preview = preview_request(campaign=campaign)
        except PreviewRefused as refused:
            return Response({"detail": str(refused)}, status=400)
        answer = preview_json(preview)
        if answer["status"] == "running":
            return Response({"preview": preview.pk, **answer}, status=202)
        return Response(answer)


def _csv_lines(rows: Iterator[dict]) -> Iterator[str]:
    class Line:
        def write(self, text: str) -> str:
            return text

    writer = csv.writer(Line())
    yield writer.writerow(["customer", "verdict", "decided_by", "reason"])
    for row in rows:
        decided_by = row["decided_by"]
        if isinstance(decided_by, dict):
            decided_by = f"{decided_by['principle']} v{decided_by['version']}"
        yield writer.writerow([row["customer"], row["verdict"], decided_by or "", row["reason"]])


def preview_csv_response(campaign) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_csv_lines(preview_members(campaign=campaign)), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="campaign-{campaign.pk}-preview.csv"'
    return response


class CampaignPreviewCsvView(APIView):
    def get_permissions(self):
        return [READERS()]

    @extend_schema(
        operation_id="campaign_preview_csv",
        summary="Every audience member's verdict as CSV",
        description="customer, verdict, decided_by (slug vN, consent, or empty), reason; streamed.",
        tags=["campaigns"],
        parameters=_ID,
        responses={
            (200, "text/csv"): OpenApiResponse(str),
            400: OpenApiResponse(DETAIL_SCHEMA, description="The campaign starts more than a year ahead."),
            **_RESPONSES,
        },
    )
    def get(self, request, pk: int):
        campaign = campaign_get_for_user(request.user, pk)
        try:
            preview_check(campaign=campaign)
        except PreviewRefused as refused:
            return Response({"detail": str(refused)}, status=400)
        return preview_csv_response(campaign)
