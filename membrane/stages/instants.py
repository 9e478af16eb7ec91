"""When a customer's facts can change: the candidate instants at which the event-time path evaluates the rules.

Each signal is one; so is each instant a day count or a window crosses a constant of the published
rules (a signal, the start of tenure or the start of the stage + N days, N from
`CompiledRuleSet.signal_clocks` and `stage_day_offsets`). Between two of them no fact changes, so
neither can the stage.

A day count is the exact time elapsed (cxcore.facts.days): `d > 3` becomes true one microsecond
after the start + 3 days, `d >= 2.5` at the start + 60 hours, `d == 3` at + 3 days and false again
at + 4 days; the offsets (cxcore.facts.days.flip_offsets) are those instants, in days, as floats
that `offset * DAY` turns back into the exact microsecond.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from collections.abc import Iterable
from typing import Any

from cxcore.facts.catalogue import ANY_SIGNAL, START
from cxcore.models import Signal

from .rules import CompiledRuleSet

DAY = dt.timedelta(days=1)


def instant_before(instant: dt.datetime, delta: dt.timedelta) -> dt.datetime | None:
    """`instant - delta`, or None when that lies before year 1 (stored data from near then can ask)."""
    try:
        return instant - delta
    except OverflowError:
        return None


def candidate_points(
    *,
    times: list[dt.datetime],
    clocks: Iterable[tuple[Iterable[dt.datetime], tuple[float, ...]]],
    lo,
    lo_inclusive,
    at,
) -> set[dt.datetime]:
    """Instants in the range at which a fact can change: the signals, and each clock's bases + its offsets.

    Bisection on the sorted times and bases: a customer with a long history and a short range
    (the usual incremental step) costs a few lookups per offset, not one per signal and offset.
    """
    cut = bisect.bisect_left if lo_inclusive else bisect.bisect_right
    after = bisect.bisect_right
    times = sorted(times)
    points = set(times[cut(times, lo) : after(times, at)])
    for bases, offsets in clocks:
        if not bases:
            continue
        bases = sorted(bases)
        for days in offsets:
            delta = _delta(days)
            # The bases in (lo - delta, at - delta]: before year 1, the range has no lower end (lo) or
            # holds nothing (at).
            try:
                last = at - delta
            except OverflowError:
                continue
            try:
                start = cut(bases, lo - delta)
            except OverflowError:
                start = 0
            end = after(bases, last)
            if start < end:
                points.update([base + delta for base in bases[start:end]])
    return points


@functools.lru_cache(maxsize=1024)  # the offsets of the rules in use
def _delta(days: float) -> dt.timedelta:
    """`days` as a duration (the exact microsecond of an offset: see the module docstring), computed once per offset."""
    return days * DAY


def signal_clocks(
    ruleset: CompiledRuleSet, kinds_times: list[tuple[str, dt.datetime]], *, created_at: dt.datetime
) -> list[tuple[list[dt.datetime], tuple[float, ...]]]:
    """The rules' clocks over a customer's signals, as (bases, offsets): the signals of each kind a clock
    counts from, every signal, or the start of tenure (the earlier of creation and the first signal)."""
    clocks = []
    for key, offsets in ruleset.signal_clocks:
        if key == START:
            bases = [min([created_at, *(time for _, time in kinds_times)])]
        elif key == ANY_SIGNAL:
            bases = [time for _, time in kinds_times]
        else:
            bases = [time for kind, time in kinds_times if kind == key]
        clocks.append((bases, offsets))
    return clocks


def stage_settled(ruleset: CompiledRuleSet, facts: dict[str, Any], stage: str, previous: str | None) -> bool:
    """Whether the rules keep `stage` at the instant it is entered, seeing it held (days_in_stage 0).

    A stage they keep needs no evaluation a day later: until another instant, only days_in_stage
    changes, and any of its constants is an instant of its own. One they do not keep is first seen
    by them a day later.
    """
    if not ruleset.follows_up:
        return True
    return ruleset.stage_for({**facts, "stage": stage, "previous_stage": previous, "days_in_stage": 0}) == stage


def stage_offsets(ruleset: CompiledRuleSet, settled: bool) -> tuple[float, ...]:
    """The offsets after the start of a stage: days_in_stage's constants, and one day unless settled."""
    if settled or not ruleset.follows_up:
        return ruleset.stage_day_offsets
    return tuple(sorted({*ruleset.stage_day_offsets, 1}))


def no_instant_between(
    *, customer_id: int, created_at, state, at, ruleset: CompiledRuleSet, rows: list[tuple] | None
) -> bool:
    """True when no fact can have changed between the stored stage `state`'s evaluated_through and `at` (no candidate
    instant); `rows` are the customer's signals up to `at` when the caller has them (SIGNAL_COLUMNS tuples)."""
    # None: a history evaluated through a time near year 1 (stored data) reaches back to its start.
    horizon = instant_before(
        state.evaluated_through, max((max(o) for _, o in ruleset.signal_clocks if o), default=0) * DAY
    )
    if rows is None:
        signals = Signal.objects.filter(customer_id=customer_id, occurred_at__lte=at)
        if horizon is not None:
            signals = signals.filter(occurred_at__gt=horizon)
        kinds_times = list(signals.values_list("kind", "occurred_at"))
    else:
        kinds_times = [(row[0], row[2]) for row in rows if (horizon is None or horizon < row[2]) and row[2] <= at]
    times = sorted(time for _, time in kinds_times)
    points = candidate_points(
        times=times,
        clocks=[
            *signal_clocks(ruleset, kinds_times, created_at=created_at),
            ([state.since], stage_offsets(ruleset, state.settled)),
        ],
        lo=state.evaluated_through,
        lo_inclusive=False,
        at=at,
    )
    return not points
