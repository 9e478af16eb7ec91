"""GET /api/v1/principles and /principles/{slug}: the principles, their versions and diffs (scope read)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from cxcore.authentication import scope_required
from cxcore.models import Role

from . import selectors

READERS = scope_required("read", console_roles=tuple(Role.values))


def iso_time(value):
    """A time as ISO 8601 with its offset, as every API answer writes it; None stays None."""
    return value.isoformat() if value else None


def version_json(version, diff: list[str] | None = None) -> dict:
    data = {
        "number": version.number,
        "status": version.status,
        "scope": {"categories": version.categories, "channels": version.channels, "teams": version.teams},
        "condition": version.condition,
        "effect": version.effect,
        "params": version.params,
        "priority": version.priority,
        "examples": version.examples,
        "change_note": version.change_note,
        "review_comment": version.review_comment,
        "author": version.author.username if version.author else None,
        "approver": version.approver.username if version.approver else None,
        "created_at": iso_time(version.created_at),
        "submitted_at": iso_time(version.submitted_at),
        "approved_at": iso_time(version.approved_at),
        "published_at": iso_time(version.published_at),
        "ended_at": iso_time(version.ended_at),
    }
    if diff is not None:
        data["diff"] = diff
    return data


def principle_json(principle) -> dict:
    published = selectors.published_version(principle)
    return {
        "slug": principle.slug,
        "title": principle.title,
        "team": principle.team.key,
        "rationale": principle.rationale,
        "published": version_json(published) if published else None,
    }


class PrincipleListView(APIView):
    permission_classes = [READERS]

    @extend_schema(
        operation_id="principles_list",
        summary="Every principle with its published version",
        tags=["principles"],
        responses={200: OpenApiResponse(description='{"principles": [...]}')},
    )
    def get(self, request):
        return Response({"principles": [principle_json(p) for p in selectors.principle_list()]})


class PrincipleDetailView(APIView):
    permission_classes = [READERS]

    @extend_schema(
        operation_id="principle_get",
        summary="One principle with every version and its diff to the previous one",
        tags=["principles"],
        responses={200: OpenApiResponse(description="The principle"), 404: OpenApiResponse(description="Unknown")},
    )
    def get(self, request, slug: str):
        principle = selectors.principle_get(slug)
        data = principle_json(principle)
        data["versions"] = [version_json(v, diff) for v, diff in selectors.principle_versions_with_diffs(principle)]
        return Response(data)
