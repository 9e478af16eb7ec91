"""Whether the published principles suppress a campaign's contact, as a predicate over the stored facts.

The preview's own decision rule (journeys.verdicts: consent first when the category needs it, then the
allow/suppress principles in scope in the engine's ranking, the first that holds deciding, then the caps), at
the time the conflicts and arbitration read the campaign's audience: a customer is suppressed when what
decides for them is the missing consent, a suppressing principle or a cap. Campaigns whose verdicts cannot
differ (the same principles and caps in the same order, the same consent needed, the interaction facts the
conditions read alike, the same time) share one predicate (`verdict_key`), so a pass over many campaigns
evaluates each distinct one once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence

from django.db.models import Q

from membrane.stored_facts import customer_timezones

from .models import Campaign
from .verdicts import Plan, PreviewRefused, plan_columns, preview_plan, suppresses

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
    read = {name for p in (*plan.ranked, *plan.caps) for name in p.facts if name in INTERACTION}
    return (
        tuple((p.version_id, p.effect) for p in plan.ranked),
        tuple(p.version_id for p in plan.caps),
        c.channel.key if plan.consent_required else None,
        tuple((name, getattr(c, name).key) for name in sorted(read)),
        plan.at,
    )


def suppressed_q(
    plan: Plan,
    timezones: Callable[[], Sequence[str]] = customer_timezones,
    consent: bool = True,
    shared: bool = False,
) -> Q:
    """The stored facts rows for whom the principles suppress the plan's contact at its time (`timezones`: as
    verdicts.plan_columns reads them; `consent=False`: step 1 left out, and `shared`: each condition computed
    once per row for every plan of the statement, as verdicts.suppresses says)."""
    return suppresses(plan, plan_columns(plan, timezones), consent, shared)
