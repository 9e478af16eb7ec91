"""Console pages of principles: read-only (the list, one principle with its versions and their diffs)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe

from cxcore.decorators import console_view

from . import selectors
from .effects import params_describe


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
