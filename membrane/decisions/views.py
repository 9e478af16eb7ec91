"""Console page of decisions: the decision log, newest first, read-only."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cxcore.decorators import console_view
from membrane.models.decisions import DecisionLog

DECISIONS_PER_PAGE = 50


@console_view()
def decision_log(request: HttpRequest) -> HttpResponse:
    decisions = DecisionLog.objects.select_related("customer", "principle").order_by("-decided_at", "-id")
    verdict = request.GET.get("verdict")
    if verdict in ("allow", "suppress"):
        decisions = decisions.filter(verdict=verdict)
    page = Paginator(decisions, DECISIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "membrane/decisions.html", {"page": page, "verdict": verdict or ""})
