"""Reads of principles shared by the API and the console."""

from __future__ import annotations

import markdown
import nh3
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from membrane.models.principles import Principle, PrincipleAudit, PrincipleVersion, VersionStatus

from .diff import version_diff

RATIONALE_TAGS = {"p", "em", "strong", "ul", "ol", "li", "code", "pre", "blockquote", "a", "h3", "h4", "br"}


def principle_list() -> QuerySet[Principle]:
    """Every principle with its versions (newest first) prefetched, so a list costs a fixed number of queries."""
    return Principle.objects.select_related("team").prefetch_related(
        Prefetch("versions", queryset=PrincipleVersion.objects.select_related("author", "approver").order_by("-number"))
    )


def principle_get(slug: str) -> Principle:
    return get_object_or_404(principle_list(), slug=slug)


def published_version(principle: Principle) -> PrincipleVersion | None:
    return next((v for v in principle.versions.all() if v.status == VersionStatus.PUBLISHED), None)


def version_previous(version: PrincipleVersion, versions: list[PrincipleVersion]) -> PrincipleVersion | None:
    older = [v for v in versions if v.number < version.number]
    return max(older, key=lambda v: v.number) if older else None


def principle_versions_with_diffs(principle: Principle) -> list[tuple[PrincipleVersion, list[str]]]:
    versions = list(principle.versions.all())
    return [(version, version_diff(version_previous(version, versions), version)) for version in versions]


def principle_audit(principle: Principle) -> QuerySet[PrincipleAudit]:
    return principle.audit.select_related("actor", "version")


def rationale_html(text: str) -> str:
    """Markdown rendered, then sanitised: a rationale can never carry script into a page."""
    return nh3.clean(
        markdown.markdown(text or ""),
        tags=RATIONALE_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
    )
