"""GET /api/v1/principles and /principles/{slug}: the principles, their versions, diffs and example results
(scope read, or any console user); the JSON shapes the write endpoints (api_write) answer with too."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from cxcore.api import DETAIL_SCHEMA
from cxcore.authentication import scope_required
from cxcore.models import Role

from . import selectors
from .api_docs import PRINCIPLE_SCHEMA
from .tests_runner import examples_run

READERS = scope_required("read", console_roles=tuple(Role.values))


def iso_time(value):
    """A time as ISO 8601 with its offset, as every API answer writes it; None stays None."""
    return value.isoformat() if value else None


def version_json(version, diff: list[str] | None = None, *, results: bool = False) -> dict:
    """A version as the API shows it; with `results`, its examples run against its condition."""
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
        "lock_version": version.lock_version,
        "author": version.author.username if version.author else None,
        "approver": version.approver.username if version.approver else None,
        "created_at": iso_time(version.created_at),
        "updated_at": iso_time(version.updated_at),
        "submitted_at": iso_time(version.submitted_at),
        "approved_at": iso_time(version.approved_at),
        "published_at": iso_time(version.published_at),
        "ended_at": iso_time(version.ended_at),
    }
    if results:
        data["example_results"] = [
            {"name": r.name, "passed": r.passed, "expected": r.expected, "actual": r.actual}
            for r in examples_run(version)
        ]
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


def principle_with_versions_json(principle) -> dict:
    """The principle with every version (newest first), each with its example results and its diff."""
    return {
        **principle_json(principle),
        "versions": [
            version_json(version, diff, results=True)
            for version, diff in selectors.principle_versions_with_diffs(principle)
        ],
    }


class PrincipleListView(APIView):
    permission_classes = [READERS]

    @extend_schema(
        operation_id="principles_list",
        summary="Every principle with its published version",
        tags=["principles"],
        responses={
            200: OpenApiResponse(
                {"type": "object", "properties": {"principles": {"type": "array", "items": PRINCIPLE_SCHEMA}}}
            )
        },
    )
    def get(self, request):
        return Response({"principles": [principle_json(p) for p in selectors.principle_list()]})


class PrincipleDetailView(APIView):
    permission_classes = [READERS]

    @extend_schema(
        operation_id="principle_get",
        summary="One principle with every version, its example results and its diff to the previous one",
        tags=["principles"],
        responses={200: OpenApiResponse(PRINCIPLE_SCHEMA), 404: OpenApiResponse(DETAIL_SCHEMA, description="Unknown")},
    )
    def get(self, request, slug: str):
        return Response(principle_with_versions_json(selectors.principle_get(slug)))
