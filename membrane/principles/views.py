"""Console pages of principles: the list with its filters, and the side-by-side diff of two versions.

The principle's own page and its workflow steps are in views_workflow.py, the review queue in views_review.py.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cxcore.decorators import console_view
from cxcore.htmx import page_or_fragment
from cxcore.models import Category, Role, Team
from membrane.models.principles import Effect, VersionStatus

from . import selectors
from .conditions import ConditionError
from .diff import version_sides
from .effects import params_describe
from .impact import condition_match_count

PRINCIPLES_PER_PAGE = 50


@console_view()
def principle_list(request: HttpRequest) -> HttpResponse:
    filters, errors = selectors.PrincipleFilter.parse(request.GET)
    page = Paginator(selectors.principle_rows(filters=filters), PRINCIPLES_PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        {"row": row, "effect": params_describe(row.current.effect, row.current.params) if row.current else None}
        for row in page
    ]
    context = {
        "page": page,
        "rows": rows,
        "filters": filters,
        "filtered": any((filters.team, filters.status, filters.effect, filters.category, filters.q)),
        "errors": errors,
        "teams": list(Team.objects.order_by("key")),
        "categories": list(Category.objects.order_by("key")),
        "statuses": VersionStatus.choices,
        "effects": Effect.choices,
        "awaiting_review": len(selectors.review_queue(request.user)),
        # The services refuse anyone else; the button is only not offered to them.
        "may_author": request.user.has_role(Role.CX_MANAGER, Role.ADMIN),
    }
    return render(request, page_or_fragment(request, "membrane/principles.html", "results"), context)


@console_view()
def principle_matches(request: HttpRequest, slug: str) -> HttpResponse:
    """The list's "customers now" cell, loaded on its own: a count over the population is the slow part of
    the list, so the rows show at once and each count follows."""
    current = selectors.version_current(selectors.principle_get(slug))
    context = {"count": None, "problem": ""}
    try:
        context["count"] = condition_match_count(condition=current.condition)
    except ConditionError as error:
        context["problem"] = str(error)
    return render(request, "membrane/principles.html#matches", context)


def _version_number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@console_view()
def principle_diff(request: HttpRequest, slug: str) -> HttpResponse:
    """?a=<n>&b=<n>: from version a to version b. Without b, the newest; without a, the one before b."""
    principle = selectors.principle_get(slug)
    versions = list(principle.versions.all())
    by_number = {v.number: v for v in versions}
    errors = [
        f"{name} must be a version number, such as {versions[0].number}: “{request.GET[name]}” is not"
        for name in ("a", "b")
        if request.GET.get(name) and _version_number(request.GET[name]) is None
    ]
    errors += [
        f"{principle.title} has no v{number}: pick one of the versions below"
        for number in (_version_number(request.GET.get("a")), _version_number(request.GET.get("b")))
        if number is not None and number not in by_number
    ]
    new = by_number.get(_version_number(request.GET.get("b"))) or versions[0]
    old = by_number.get(_version_number(request.GET.get("a")))
    if old is None and "a" not in request.GET:
        old = selectors.version_previous(new, versions)
    sections = version_sides(old, new) if not errors else []
    context = {
        "principle": principle,
        "versions": versions,
        "old": old,
        "new": new,
        "sections": sections,
        "changed": any(section.changed for section in sections),
        "errors": errors,
    }
    return render(
        request,
        page_or_fragment(request, "membrane/principles_diff.html", "sides"),
        context,
        status=400 if errors else 200,
    )
