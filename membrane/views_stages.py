"""The stages page: the stage definitions with their customers now, the published stage rules, older versions.

Read-only: the rule editor is a later feature.
"""

from __future__ import annotations

from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cxcore.decorators import console_view

from .models import StageRule, StageRuleSet
from .models.stages import RuleSetStatus
from .selectors_dashboard import stage_counts, stage_definitions, stage_distribution


@console_view()
def stage_rules(request: HttpRequest) -> HttpResponse:
    stages = stage_distribution(definitions=stage_definitions(), counts=stage_counts())
    published = (
        StageRuleSet.objects.filter(status=RuleSetStatus.PUBLISHED)
        .select_related("author")
        .prefetch_related(Prefetch("rules", queryset=StageRule.objects.order_by("position")))
        .first()
    )
    others = (
        StageRuleSet.objects.exclude(status=RuleSetStatus.PUBLISHED)
        .select_related("author")
        .annotate(rule_count=Count("rules"))
        .order_by("-number")
    )
    context = {
        "stages": stages,
        "staged_customers": sum(stage["customers"] for stage in stages),
        "published": published,
        "others": list(others),
    }
    return render(request, "membrane/stages.html", context)
