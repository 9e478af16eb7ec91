"""Reads of the stages and of the stage history that pages share."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Count, Prefetch, QuerySet

from cxcore.facts.fold_state import facts_at
from membrane.catalogue import customer_fact_definitions
from membrane.expressions import ExpressionError
from membrane.models import CustomerStage, StageDefinition, StageRule, StageRuleSet, StageTransition
from membrane.models.stages import RuleSetStatus

from .one_customer import stage_bring_up_to
from .rules import CompiledRuleSet, ruleset_compile

HISTORY_SHOWN = 20
NEUTRAL = "#94a3b8"
_HEX = re.compile(r"^#[0-9a-fA-F]{3,8}$")


def stage_color(value: str) -> str:
    """A stage's colour as a CSS hex value; anything else (the field is free text) falls back to grey."""
    return value if _HEX.match(value or "") else NEUTRAL


def stage_definitions() -> list[dict[str, Any]]:
    return [
        {**row, "color": stage_color(row["color"])}
        for row in StageDefinition.objects.order_by("order", "key").values("key", "name", "description", "color")
    ]


def stage_counts() -> dict[str, int]:
    """Customers holding each stage now, from the stored stage (as of the last evaluation)."""
    rows = CustomerStage.objects.order_by().values_list("stage").annotate(n=Count("pk"))
    return dict(rows.values_list("stage", "n"))


def stage_distribution(*, definitions: list[dict[str, Any]], counts: dict[str, int]) -> list[dict[str, Any]]:
    """Every defined stage in its order with its count; stages held but no longer defined come last."""
    known = {d["key"] for d in definitions}
    rows = [{**d, "customers": counts.get(d["key"], 0)} for d in definitions]
    rows += [
        {"key": key, "name": key, "description": "", "color": NEUTRAL, "customers": n}
        for key, n in sorted(counts.items())
        if key not in known
    ]
    return rows


def stages_overview() -> dict[str, Any]:
    """What the Stages page and GET /api/v1/stages show: every stage with its customers now, the published
    rules in order, the other versions, and the facts a rule can read."""
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
    return {
        "stages": stages,
        "staged_customers": sum(stage["customers"] for stage in stages),
        "published": published,
        "others": list(others),
        "facts": customer_fact_definitions(),
    }


def stage_holders(*, key: str) -> tuple[dict[str, Any] | None, QuerySet[CustomerStage]]:
    """A stage's definition (None for a key held but no longer defined) and the customers holding it as of the
    last evaluation, longest in it first."""
    definition = StageDefinition.objects.filter(key=key).values("key", "name", "description").first()
    holders = (
        CustomerStage.objects.filter(stage=key)
        .select_related("customer")
        .order_by("since", "customer_id")
        .only("since", "previous_stage", "evaluated_through", "customer__external_id", "customer__name")
    )
    return definition, holders


def customer_stage_360(*, customer, at) -> dict:
    """The membrane's part of the 360° view: the stage brought up to `at`, and every fact at `at` (from the
    checkpoint the bring-up leaves and the signals after it: a bounded read, whatever the history).

    Registered with cxcore's customer_360, which cannot import the membrane.
    """
    state = stage_bring_up_to(customer=customer, at=at)
    history = customer_stage_history(customer=customer, at=at)
    facts = {
        "stage": state.stage,
        "previous_stage": state.previous_stage,
        "days_in_stage": state.days_in_stage,
        **facts_at(customer=customer, at=at),
    }
    return {
        "stage": {
            "stage": state.stage,
            "since": state.since,
            "previous_stage": state.previous_stage,
            "days_in_stage": state.days_in_stage,
        },
        "facts": facts,
        "stage_history": history,
    }


def customer_stage_history(*, customer, at, limit: int = HISTORY_SHOWN) -> list[dict[str, Any]]:
    """The customer's latest stage changes up to `at`, newest first, each with the rule that made it (of the
    version of the rules that evaluated it) and the facts that rule read, as recorded with the change."""
    transitions = list(
        StageTransition.objects.filter(customer=customer, at__lte=at)
        .order_by("-at", "-id")
        .values("at", "from_stage", "to_stage", "ruleset_number", "facts")[:limit]
    )
    numbers = {row["ruleset_number"] for row in transitions} - {None}
    rulesets = {ruleset.number: _compiled(ruleset) for ruleset in StageRuleSet.objects.filter(number__in=numbers)}
    return [
        {
            "at": row["at"],
            "from_stage": row["from_stage"],
            "to_stage": row["to_stage"],
            "ruleset_number": row["ruleset_number"],
            "because": _because(rulesets.get(row["ruleset_number"]), row["facts"], row["to_stage"]),
        }
        for row in transitions
    ]


def _compiled(ruleset: StageRuleSet) -> CompiledRuleSet | None:
    """An old version as compiled, or None when its conditions no longer check (a fact renamed since)."""
    try:
        return ruleset_compile(ruleset)
    except ExpressionError:
        return None


def _because(ruleset: CompiledRuleSet | None, facts: dict[str, Any], stage: str) -> dict[str, Any] | None:
    """The rule that gave `stage` on the recorded facts (the first that holds), or the default stage when none
    held, with the facts it read; None when the recorded facts no longer give that stage (a change of
    catalogue since), so nothing wrong is claimed."""
    if ruleset is None:
        return None
    try:
        for rule in ruleset.rules:
            if rule.holds(facts):
                if rule.stage != stage:
                    return None
                read = sorted(rule.checked.facts_read)
                return {
                    "rule": rule.position,
                    "condition": rule.condition,
                    "facts": {name: facts.get(name) for name in read},
                }
    except (KeyError, TypeError, ValueError):
        return None
    if ruleset.default_stage != stage:
        return None
    return {"rule": None, "condition": "", "facts": {}}
