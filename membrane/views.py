"""Console pages of membrane. For now each page says what it will hold; the features replace them."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cxcore.decorators import console_view


@console_view()
def principle_list(request: HttpRequest) -> HttpResponse:
    return render(request, "membrane/principles.html")


@console_view()
def stage_rules(request: HttpRequest) -> HttpResponse:
    return render(request, "membrane/stages.html")


@console_view()
def action_queue(request: HttpRequest) -> HttpResponse:
    return render(request, "membrane/actions.html")


@console_view()
def run_list(request: HttpRequest) -> HttpResponse:
    return render(request, "membrane/runs.html")
