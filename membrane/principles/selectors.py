"""Reads of principles shared by the API and the console."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import markdown
import nh3
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404

from cxcore.models import Category, Team
from membrane.models.principles import Effect, Principle, PrincipleAudit, PrincipleVersion, VersionStatus

from .diff import version_diff
from .errors import NotAllowed
from .review import reviewer_check
from .scope import Scope

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


def version_current(principle: Principle) -> PrincipleVersion | None:
    """The version that speaks for a principle in a list: the published one, else the newest."""
    return published_version(principle) or next(iter(principle.versions.all()), None)


@dataclass(frozen=True)
class PrincipleFilter:
    """The list's filters, as GET parameters; an empty value filters nothing."""

    team: str = ""
    status: str = ""
    effect: str = ""
    category: str = ""
    q: str = ""

    @classmethod
    def parse(cls, data: Mapping[str, str]) -> tuple[PrincipleFilter, dict[str, str]]:
        """The filters `data` asks for, and an error for each value no principle can have (that one is dropped)."""
        choices = {
            "team": set(Team.objects.values_list("key", flat=True)),
            "status": set(VersionStatus.values),
            "effect": set(Effect.values),
            "category": set(Category.objects.values_list("key", flat=True)),
        }
        values, errors = {}, {}
        for name, allowed in choices.items():
            value = (data.get(name) or "").strip()
            if value and value not in allowed:
                errors[name] = f"unknown {name} '{value}': showing every {name}"
                value = ""
            values[name] = value
        return cls(**values, q=(data.get("q") or "").strip()[:200]), errors

    def admits(self, principle: Principle, current: PrincipleVersion | None) -> bool:
        """Status: any version of the principle has it; effect, category, search: the current version's."""
        versions = principle.versions.all()
        needle = self.q.lower()
        return (
            (not self.team or principle.team.key == self.team)
            and (not self.status or any(v.status == self.status for v in versions))
            and (not self.effect or (current is not None and current.effect == self.effect))
            and (not self.category or (current is not None and Scope.of(current).covers_category(self.category)))
            and (
                not needle
                or needle in principle.slug.lower()
                or needle in principle.title.lower()
                or (current is not None and needle in current.condition.lower())
            )
        )


@dataclass(frozen=True)
class PrincipleRow:
    principle: Principle
    current: PrincipleVersion | None
    published: PrincipleVersion | None
    latest: PrincipleVersion | None
    last_change: PrincipleAudit | None


def principle_rows(*, filters: PrincipleFilter) -> list[PrincipleRow]:
    """The principles the filters admit, each with its current, published and newest version and its last
    change: a fixed number of queries, whatever the number of principles."""
    last_audit = PrincipleAudit.objects.filter(principle=OuterRef("pk")).order_by("-at", "-id").values("id")[:1]
    principles = list(principle_list().annotate(last_audit_id=Subquery(last_audit)))
    audits = PrincipleAudit.objects.select_related("actor", "version").in_bulk(
        [p.last_audit_id for p in principles if p.last_audit_id]
    )
    rows = []
    for principle in principles:
        current = version_current(principle)
        if filters.admits(principle, current):
            rows.append(
                PrincipleRow(
                    principle=principle,
                    current=current,
                    published=published_version(principle),
                    latest=next(iter(principle.versions.all()), None),
                    last_change=audits.get(principle.last_audit_id),
                )
            )
    return rows


def version_get(principle: Principle, number: int) -> PrincipleVersion:
    """A version of a prefetched principle by its number; 404 when it has none."""
    version = next((v for v in principle.versions.all() if v.number == number), None)
    if version is None:
        raise Http404(f"{principle.slug} has no v{number}")
    return version


def review_refusal(version: PrincipleVersion, user) -> str | None:
    """Why `user` may not approve or reject `version`, in the services' own four-eyes words; None: they may."""
    try:
        reviewer_check(version, user, "review principles")
    except NotAllowed as refusal:
        return str(refusal)
    return None


@dataclass(frozen=True)
class ReviewItem:
    version: PrincipleVersion
    published: PrincipleVersion | None
    waiting_since: dt.datetime


def review_queue(user) -> list[ReviewItem]:
    """Versions in review, not yet approved, that `user` may approve, the longest waiting first.

    Whether they may is the services' rule itself (reviewer_check), asked per version: the queue can
    never offer a version the approval would refuse. That costs a query or two per version in review;
    the organisation has a handful at a time.
    """
    waiting = (
        PrincipleVersion.objects.filter(status=VersionStatus.IN_REVIEW, approved_at__isnull=True)
        .select_related("principle", "principle__team", "author", "author__team")
        .order_by("submitted_at", "pk")
    )
    mine = [version for version in waiting if review_refusal(version, user) is None]
    published = {
        v.principle_id: v
        for v in PrincipleVersion.objects.filter(
            principle_id__in={v.principle_id for v in mine}, status=VersionStatus.PUBLISHED
        )
    }
    return [
        ReviewItem(version=v, published=published.get(v.principle_id), waiting_since=v.submitted_at or v.created_at)
        for v in mine
    ]
