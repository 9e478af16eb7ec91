"""Console pages of journeys. For now each page says what it will hold; the features replace them."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cxcore.decorators import console_view


@console_view()
def campaign_list(request: HttpRequest) -> HttpResponse:
    return render(request, "journeys/campaigns.html")


@console_view()
def conflict_board(request: HttpRequest) -> HttpResponse:
    return render(request, "journeys/conflicts.html")
