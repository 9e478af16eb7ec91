"""The stages page: the stage definitions with their customers now, the published stage rules, older versions,
and the facts a rule can read; and the customers holding one stage.

Read-only: CX managers edit the rules on the stage rules' pages (views_authoring), linked from here.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from cxcore.decorators import console_view
from cxcore.models import Role

from .selectors import stage_holders, stages_overview
from .versions import open_ruleset

HOLDERS_PER_PAGE = 50


@console_view()
def stage_rules(request: HttpRequest) -> HttpResponse:
    may_edit = request.user.has_role(Role.CX_MANAGER, Role.ADMIN)
    context = {**stages_overview(), "may_edit": may_edit, "open_version": open_ruleset() if may_edit else None}
    return render(request, "membrane/stages.html", context)


@console_view()
def stage_customers(request: HttpRequest, key: str) -> HttpResponse:
    definition, holders = stage_holders(key=key)
    page = Paginator(holders, HOLDERS_PER_PAGE).get_page(request.GET.get("page"))
    if definition is None and not page.object_list:
        raise Http404(f"No stage {key!r}")
    context = {"key": key, "definition": definition, "page": page}
    return render(request, "membrane/stage_customers.html", context)
