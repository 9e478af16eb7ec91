"""Whether the published principles suppress a campaign's contact, as a predicate over the stored facts.

The preview's own decision rule (journeys.preview: consent first when the category needs it, then the
allow/suppress principles in scope in the engine's ranking, the first that holds deciding; caps aside), at
the time the conflicts read the campaign's audience: a customer is suppressed when what decides for them is
the missing consent or a suppressing principle. Campaigns whose verdicts cannot differ (the same principles
in the same order, the same consent needed, the interaction facts the conditions read alike, the same time)
share one predicate (`verdict_key`), so a pass over many campaigns evaluates each distinct one once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.db.models import Q
from django.db.models.lookups import In

from .models import Campaign
from .preview import CONSENT, Plan, PreviewRefused, decider_case, plan_columns, preview_plan

INTERACTION = ("team", "category", "channel")


def suppression_plan(*, campaign: Campaign, at: dt.datetime) -> Plan | None:
    """The preview's plan for the campaign's contact at `at`; None when the decision API does not answer for
    its start (more than a year ahead), nor then does its preview."""
    try:
        return dataclasses.replace(preview_plan(campaign=campaign), at=at)
    except PreviewRefused:
        return None


def verdict_key(plan: Plan) -> tuple:
    """What the plan's verdicts depend on: two plans with equal keys suppress the same customers."""
    c = plan.campaign
    read = {name for p in plan.ranked for name in p.facts if name in INTERACTION}
    return (
        tuple((p.version_id, p.effect) for p in plan.ranked),
        c.channel.key if plan.consent_required else None,
        tuple((name, getattr(c, name).key) for name in sorted(read)),
        plan.at,
    )


def suppressed_q(plan: Plan) -> Q:
    """The stored facts rows for whom the principles suppress the plan's contact at its time."""
    suppressing = [CONSENT, *(i for i, p in enumerate(plan.ranked) if p.effect == "suppress")]
    return Q(In(decider_case(plan, plan_columns(plan)), suppressing))
