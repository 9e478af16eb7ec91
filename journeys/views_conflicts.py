"""The conflict board (DESIGN.md section 10): the conflicts between the scheduled campaigns, a team x team
heatmap and a timeline; the list filters by team, kind and severity in place (htmx) with the URL kept."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cxcore.decorators import console_view
from cxcore.htmx import page_or_fragment
from cxcore.models import Team

from .conflicts import KINDS, SEVERITIES
from .conflicts_board import KIND_LABELS, board_filter, conflict_board
from .selectors import READER_ROLES

TEMPLATE = "journeys/conflicts.html"


@console_view(*READER_ROLES)
def conflict_board_page(request: HttpRequest) -> HttpResponse:
    board, errors = board_filter(request.GET)
    context = {
        **conflict_board(board=board),
        "board": board,
        "errors": errors,
        "all_teams": list(Team.objects.order_by("key").values_list("key", flat=True)),
        "kinds": [(kind, KIND_LABELS[kind]) for kind in KINDS],
        "severities": SEVERITIES,
    }
    return render(request, page_or_fragment(request, TEMPLATE, "list"), context)
