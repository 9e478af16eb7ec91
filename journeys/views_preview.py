"""The suppression preview page of a campaign (/campaigns/<pk>/preview/): the page, or its fragment for htmx.

Opening it asks for the preview (journeys.preview_store): kept or computed at once for a small population;
for a large one a worker computes it and the fragment polls itself, showing the progress.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cxcore.charts import chart_data
from cxcore.decorators import console_view
from cxcore.htmx import page_or_fragment

from .models import Campaign
from .preview_store import preview_json, preview_request
from .selectors import READER_ROLES, campaign_get_for_user
from .verdicts import PreviewRefused

TEMPLATE = "journeys/preview.html"
ALLOWED, SUPPRESSED = "#0f9d8a", "#c2417a"


def _chart(by_stage: dict) -> dict:
    stages = list(by_stage)
    return chart_data(
        {
            "x": stages,
            "series": [
                {"name": "allowed", "y": [by_stage[s]["allowed"] for s in stages], "color": ALLOWED},
                {"name": "suppressed", "y": [by_stage[s]["suppressed"] for s in stages], "color": SUPPRESSED},
            ],
        }
    )


def _lost_to(lost: list[dict]) -> list[dict]:
    names = dict(Campaign.objects.filter(pk__in=[row["campaign"] for row in lost]).values_list("pk", "name"))
    return [{**row, "name": names.get(row["campaign"], f"campaign {row['campaign']}")} for row in lost]


@console_view(*READER_ROLES)
def campaign_preview(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = campaign_get_for_user(request.user, pk)
    try:
        preview = preview_json(preview_request(campaign=campaign))
    except PreviewRefused as refused:
        preview = {"status": "refused", "error": str(refused)}
    ready = preview["status"] == "ready"
    share = round(100 * preview["suppressed"] / preview["audience"]) if ready and preview["audience"] else 0
    context = {
        "campaign": campaign,
        "preview": preview,
        "running": preview["status"] == "running",
        "percent": round(preview.get("progress", 0) * 100),
        "computed_at": dt.datetime.fromisoformat(preview["computed_at"]) if ready else None,
        "chart": _chart(preview["by_stage"]) if ready else None,
        "lost_to": _lost_to(preview.get("lost_to", [])),
        "suppressed_share": share,
    }
    return render(request, page_or_fragment(request, TEMPLATE, "preview"), context)
