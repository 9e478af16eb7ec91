"""Console pages of principles and decisions: read-only (the list, one principle with versions and diffs, the log)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe

from cxcore.decorators import console_view
from membrane.models.decisions import DecisionLog
from membrane.principles import selectors
from membrane.principles.effects import params_describe

DECISIONS_PER_PAGE = 50


@console_view()
def principle_list(request: HttpRequest) -> HttpResponse:
    rows = []
    for principle in selectors.principle_list():
        published = selectors.published_version(principle)
        latest = next(iter(principle.versions.all()), None)
        rows.append(
            {
                "principle": principle,
                "published": published,
                "latest": latest,
                "effect": params_describe(published.effect, published.params) if published else None,
            }
        )
    return render(request, "membrane/principles.html", {"rows": rows})


@console_view()
def principle_detail(request: HttpRequest, slug: str) -> HttpResponse:
    principle = selectors.principle_get(slug)
    versions = [
        {"version": version, "effect": params_describe(version.effect, version.params), "diff": diff}
        for version, diff in selectors.principle_versions_with_diffs(principle)
    ]
    return render(
        request,
        "membrane/principles_detail.html",
        {
            "principle": principle,
            # Sanitised by nh3 in rationale_html: only harmless tags and http(s)/mailto links remain.
            "rationale": mark_safe(selectors.rationale_html(principle.rationale)),
            "versions": versions,
            "audit": selectors.principle_audit(principle)[:50],
        },
    )


@console_view()
def decision_log(request: HttpRequest) -> HttpResponse:
    decisions = DecisionLog.objects.select_related("customer", "principle").order_by("-decided_at", "-id")
    verdict = request.GET.get("verdict")
    if verdict in ("allow", "suppress"):
        decisions = decisions.filter(verdict=verdict)
    page = Paginator(decisions, DECISIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "membrane/decisions.html", {"page": page, "verdict": verdict or ""})
