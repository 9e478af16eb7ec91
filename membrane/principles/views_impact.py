"""The impact page of a version (/principles/<slug>/v<n>/impact/): the page, or its fragment for htmx.

The principle's page embeds the fragment with hx-get; while a large population's preview runs in a worker,
the fragment polls itself.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cxcore.charts import chart_data
from cxcore.decorators import console_view
from cxcore.htmx import page_or_fragment

from .api_impact import version_for_impact
from .impact_previews import impact_preview_request


def _chart(changes: list[dict]) -> dict:
    labels = [f"{c['category']} · {c['channel']}" for c in changes]
    return chart_data(
        {
            "x": labels,
            "series": [
                {"name": "allow → suppress", "y": [c["allow_to_suppress"] for c in changes], "color": "#c2417a"},
                {"name": "suppress → allow", "y": [c["suppress_to_allow"] for c in changes], "color": "#0f9d8a"},
            ],
        }
    )


@console_view()
def principle_impact(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    version = version_for_impact(slug, number)
    retire = request.GET.get("retire") in ("1", "true")
    impact = impact_preview_request(version=version, retire=retire)
    context = {
        "version": version,
        "principle": version.principle,
        "retire": retire,
        "impact": impact,
        "as_of": dt.datetime.fromisoformat(impact["as_of"]) if "as_of" in impact else None,
        "running": impact["status"] == "running",
        "percent": round(impact.get("progress", 0) * 100),
        "chart": _chart(impact.get("changes", [])),
    }
    return render(request, page_or_fragment(request, "membrane/principle_impact.html", "impact"), context)
