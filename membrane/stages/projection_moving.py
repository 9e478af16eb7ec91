"""The customers whose stored stage may change between its end and a later time if nothing new arrives: the ones
with a candidate instant of event time in between (instants.py). The stage projection (projection.py) works out
only theirs; for the others event time evaluates nothing either."""

from __future__ import annotations

import datetime as dt

from cxcore.facts.catalogue import ANY_SIGNAL, START
from cxcore.facts.sql import Dialect, literal
from cxcore.models import Customer, Signal
from membrane.models import CustomerStage

from .instants import stage_offsets
from .instants_sql import US, offset_us, plus_sql
from .rules import CompiledRuleSet


def moving_customers_sql(
    d: Dialect, ruleset: CompiledRuleSet, *, earliest: dt.datetime, at: dt.datetime
) -> tuple[str, dict]:
    """The ids of the customers with a candidate instant in (E, at] (a few more may come along): the others'
    stored stage stands at `at`, as event time, evaluating nothing, leaves it. Each clock's bases are looked
    up by time (the signals' index) between the earliest E less the offset and `at` less the offset."""
    stages, signals, customers = CustomerStage._meta.db_table, Signal._meta.db_table, Customer._meta.db_table
    behind = "cs.evaluated_through < %(at)s"
    held = [offset_us(days) for days in sorted({*stage_offsets(ruleset, True), *stage_offsets(ruleset, False)})]
    parts = []
    params: dict = {"at": d.datetime_param(at)}
    if held:
        # The start of the stage between the earliest E and `at`, each less the offset, as bounds on the column
        # (its statistics estimate how few they keep), then after the customer's own E.
        for n, us in enumerate(held):
            params[f"h_lo{n}"] = d.datetime_param(earliest - us * US)
            params[f"h_hi{n}"] = d.datetime_param(at - us * US)
        inside = " OR ".join(
            f"""(cs.since > %(h_lo{n})s AND cs.since <= %(h_hi{n})s
            AND {plus_sql(d, "cs.since", us)} > cs.evaluated_through)"""
            for n, us in enumerate(held)
        )
        parts.append(f"SELECT cs.customer_id FROM {stages} cs WHERE {behind} AND ({inside})")
    # (kind or None for any signal, offset): a signal itself is an instant (offset 0); a tenure may start at
    # the first signal, so the start's offsets are tried after every signal too. One scan each of the
    # customers and of the signals, each offset's range ORed.
    clocks = {(None, 0)}
    created = []
    for key, offsets in ruleset.signal_clocks:
        kind = None if key in (ANY_SIGNAL, START) else key
        clocks.update((kind, offset_us(days)) for days in offsets)
        if key == START:
            for n, us in enumerate(sorted({offset_us(days) for days in offsets})):
                params[f"c_lo{n}"] = d.datetime_param(earliest - us * US)
                params[f"c_hi{n}"] = d.datetime_param(at - us * US)
                created.append(
                    f"""(c.created_at > %(c_lo{n})s AND c.created_at <= %(c_hi{n})s
                    AND {plus_sql(d, "c.created_at", us)} > cs.evaluated_through)"""
                )
    if created:
        parts.append(
            f"""SELECT cs.customer_id FROM {customers} c JOIN {stages} cs ON cs.customer_id = c.id
            WHERE {behind} AND ({" OR ".join(created)})"""
        )
    ranges = []
    for n, (kind, us) in enumerate(sorted(clocks, key=lambda c: (c[0] or "", c[1]))):
        params[f"s_lo{n}"] = d.datetime_param(earliest - us * US)
        params[f"s_hi{n}"] = d.datetime_param(at - us * US)
        of_kind = "" if kind is None else f" AND s.kind = {literal(kind)}"
        ranges.append(
            f"""(s.occurred_at > %(s_lo{n})s AND s.occurred_at <= %(s_hi{n})s{of_kind}
            AND {plus_sql(d, "s.occurred_at", us)} > cs.evaluated_through)"""
        )
    parts.append(
        f"""SELECT cs.customer_id FROM {signals} s JOIN {stages} cs ON cs.customer_id = s.customer_id
        WHERE {behind} AND ({" OR ".join(ranges)})"""
    )
    return " UNION ".join(parts), params
