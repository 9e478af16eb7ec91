"""The stages page: the stage definitions with their customers now, the published stage rules, older versions,
and the facts a rule can read.

Read-only: the rule editor is a later feature.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cxcore.decorators import console_view

from .stages.selectors import stages_overview


@console_view()
def stage_rules(request: HttpRequest) -> HttpResponse:
    return render(request, "membrane/stages.html", stages_overview())
