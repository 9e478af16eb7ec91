"""The 360° view's campaigns: the scheduled campaigns whose audience holds the customer, and whether each will
reach them, and why not (registered with cxcore's customer_360 in journeys.apps).

For one customer the facts are read as the decision API reads them (`customer_row`, brought up to the time),
not from the stored rows the set-based readers share: those are a cache the customer page's own reads may
retire. Each campaign not yet ended is judged at its start (now once it has started): its audience evaluated
over those facts, and the decision rule asked about its contact then (`decision_from_row`: consent, principles
and caps, logged nowhere): where it suppresses, the decision's reason says why not; among the campaigns it
allows, where several collide, arbitration says who keeps the customer (a campaign keeps only customers it
will reach, journeys.arbitration). A campaign with a list targets the customer
only when its list names them (the expression then filters the list).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from cxcore.models import Customer
from membrane.catalogue import fact_types_for
from membrane.decisions.engine import ruleset_get
from membrane.decisions.facts import customer_row, interaction_context
from membrane.decisions.selectors import decision_inputs_of
from membrane.decisions.services import decision_from_row
from membrane.decisions.values import Interaction
from membrane.expressions import check, compile_python

from .arbitration import arbitrate, scheduled_campaigns
from .audience_lists import lists_of
from .audiences import CONTEXT
from .memberships import audience_at
from .models import Campaign


def _entry(campaign: Campaign, reaches: bool, why: str, verdict: str | None) -> dict[str, Any]:
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "team": campaign.team.key,
        "category": campaign.category.key,
        "channel": campaign.channel.key,
        "starts_at": campaign.starts_at,
        "ends_at": campaign.ends_at,
        "reaches": reaches,
        "verdict": verdict,
        "why": why,
    }


def customer_campaigns(*, customer: Customer, at: dt.datetime) -> list[dict[str, Any]]:
    """The scheduled campaigns not ended by `at` that target the customer, soonest first."""
    now = timezone.now()
    inputs = decision_inputs_of(customer)
    rows: dict[dt.datetime, tuple[dict, str]] = {}  # per time judged at: the facts and the stage

    def row_at(when: dt.datetime) -> tuple[dict, str]:
        if when not in rows:
            rows[when] = customer_row(inputs=inputs, at=when)
        return rows[when]

    types = fact_types_for(CONTEXT)
    listed = lists_of(customer_id=customer.pk)
    targeting = {
        c.pk: c
        for c in scheduled_campaigns()
        if c.ends_at > at
        and (not c.audience_list_size or c.pk in listed)
        and compile_python(check(c.audience, types))(row_at(audience_at(c, None, now))[0])
    }
    if not targeting:
        return []
    ruleset = ruleset_get()
    verdicts = {}
    for campaign in targeting.values():
        when = audience_at(campaign, None, now)
        interaction = Interaction(team=campaign.team.key, category=campaign.category.key, channel=campaign.channel.key)
        base, stage = row_at(when)
        row = {**base, **interaction_context(customer=customer, interaction=interaction, at=when)}
        verdicts[campaign.pk] = decision_from_row(
            customer=customer, interaction=interaction, at=when, ruleset=ruleset, row=row, stage=stage
        ).verdict
    outcome = arbitrate(c for c in targeting.values() if verdicts[c.pk].verdict == "allow")
    entries = []
    for campaign in sorted(targeting.values(), key=lambda c: (c.starts_at, c.pk)):
        verdict, winner = verdicts[campaign.pk], outcome.get(campaign.pk)
        if winner is not None:
            keeper = targeting[winner]
            why = f"'{keeper.name}' of {keeper.team.key} keeps the customer in these days: it ranks higher."
            entries.append(_entry(campaign, False, why, None))
        else:
            entries.append(_entry(campaign, verdict.verdict == "allow", verdict.reason, verdict.verdict))
    return entries


def customer_campaigns_360(*, customer: Customer, at: dt.datetime) -> dict[str, Any]:
    return {"campaigns": customer_campaigns(customer=customer, at=at)}
