"""What a decision's principles read: the customer's fact row as of a time, with the interaction's context,
and the outbound contacts a cap counts."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from cxcore.facts.per_customer import SIGNAL_COLUMNS, facts_for_customer, signal_rows
from cxcore.models import Customer, Signal, SignalKind
from membrane.stages.event_time import stage_bring_up_to
from membrane.stages.rules import published_ruleset

from .engine import CompiledPrinciple
from .values import DecisionInputs, Interaction, PreloadedSignals

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_OCCURRED_AT = SIGNAL_COLUMNS.index("occurred_at")


def interaction_context(*, customer: Customer, interaction: Interaction | None, at: dt.datetime) -> dict:
    """The interaction facts: team, category, channel, and the hour and weekday in the customer's timezone."""
    try:
        local = at.astimezone(zoneinfo.ZoneInfo(customer.timezone or "UTC"))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        local = at.astimezone(dt.UTC)
    return {
        "team": interaction.team if interaction else None,
        "category": interaction.category if interaction else None,
        "channel": interaction.channel if interaction else None,
        "local_hour": local.hour,
        "weekday": WEEKDAYS[local.weekday()],
    }


def customer_row(
    *, inputs: DecisionInputs, at: dt.datetime, interaction: Interaction | None = None
) -> tuple[dict, str]:
    """Every fact a principle condition can read, as of `at`, and the stage; the stage is brought up to
    `at` first.

    The signals up to `at` are read once, for the stage's nothing-changed check and for the facts; not
    at all when they were read with the customer. What else was read with them (the stage rules'
    stamp, the stored stage) costs no query either.
    """
    customer, read = inputs.customer, inputs.read
    if read is None or read.signals is None:
        rows = signal_rows(customer=customer, at=at)
    else:
        rows = [row for row in read.signals.rows if row[_OCCURRED_AT] <= at]
    state = stage_bring_up_to(
        customer=customer,
        at=at,
        ruleset=published_ruleset(stamp=None if read is None else read.stage_rules_stamp),
        stored=None if read is None else read.stored_stage,
        rows=rows,
    )
    row = facts_for_customer(customer=customer, at=at, rows=rows)
    row.update(stage=state.stage, previous_stage=state.previous_stage, days_in_stage=state.days_in_stage)
    row.update(interaction_context(customer=customer, interaction=interaction, at=at))
    return row, state.stage


def contacts_in_scope(
    *, customer: Customer, cap: CompiledPrinciple, at: dt.datetime, signals: PreloadedSignals | None = None
) -> list[dt.datetime]:
    """Outbound contacts of every team in the cap's scope within its window (at - D, at], oldest first.

    From `signals` when they were read with the customer, else from the database.
    """
    since = at - dt.timedelta(days=cap.params["days"])
    if signals is not None:
        return sorted(
            occurred_at
            for occurred_at, team, category, channel in signals.contacts
            if since < occurred_at <= at and cap.scope.covers(team=team, category=category, channel=channel)
        )
    contacts = Signal.objects.filter(
        cap.scope.q(),
        customer=customer,
        kind=SignalKind.CONTACT,
        direction="out",
        occurred_at__gt=since,
        occurred_at__lte=at,
    )
    return list(contacts.order_by("occurred_at").values_list("occurred_at", flat=True))
