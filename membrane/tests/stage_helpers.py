"""Helpers shared by the stage tests: signals through the ingest service, custom published stage rules."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from cxcore.ingest import signals_ingest
from membrane.models import CustomerStage, StageRule, StageRuleSet, StageTransition

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def ingest(customer: str, kind: str, at: dt.datetime, **fields) -> None:
    item = {"customer": customer, "kind": kind, "occurred_at": at.isoformat(), **fields}
    signals_ingest(items=[item], source="test")


def ticket(customer: str, ref: str, opened: dt.datetime, resolved: dt.datetime | None = None, issue: str = "terminal"):
    ingest(customer, "ticket_opened", opened, ticket_ref=ref, issue_key=issue)
    if resolved is not None:
        ingest(customer, "ticket_resolved", resolved, ticket_ref=ref)


def publish_rules(rules: list[tuple[str, str]], default: str = "onboarding") -> StageRuleSet:
    StageRuleSet.objects.filter(status="published").update(status="superseded")
    number = (StageRuleSet.objects.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    ruleset = StageRuleSet.objects.create(
        number=number, status="published", default_stage=default, published_at=timezone.now()
    )
    for position, (stage, condition) in enumerate(rules, start=1):
        StageRule.objects.create(ruleset=ruleset, position=position, stage=stage, condition=condition)
    return ruleset


def stored_history() -> tuple[list[tuple], list[tuple]]:
    """Every stored transition and stage, by customer, to compare two ways of deriving them."""
    transitions = StageTransition.objects.order_by("customer__external_id", "at")
    stages = CustomerStage.objects.order_by("customer__external_id")
    return (
        list(transitions.values_list("customer__external_id", "from_stage", "to_stage", "at", "facts")),
        list(stages.values_list("customer__external_id", "stage", "since", "evaluated_through", "settled")),
    )
