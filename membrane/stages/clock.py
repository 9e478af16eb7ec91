"""How far the event-time path reads back, and the next instant of a customer's history, from the rules' clocks.

With a checkpoint of the facts (cxcore.facts.checkpoint), the path reads only the signals after it
and those a clock counting from them can still fall after the range from (clock_horizon); the next
instant after the end of a history is noted with the checkpoint, so that a read at a later time
knows without any signal whether the stage can have changed meanwhile (next_instant).
"""

from __future__ import annotations

import datetime as dt

from cxcore.facts.catalogue import ANY_SIGNAL, START

from .instants import DAY, candidate_points, signal_clocks, stage_offsets
from .rules import CompiledRuleSet


def clock_horizon(ruleset: CompiledRuleSet) -> dt.timedelta:
    """How long before an instant the signals lie whose clocks can still fall after it: the longest offset
    of a clock that counts from signals (the start of tenure is known without them)."""
    return max((max(offsets) for key, offsets in ruleset.signal_clocks if offsets and key != START), default=0) * DAY


def clock_kinds(ruleset: CompiledRuleSet) -> frozenset[str] | None:
    """The kinds of signal the rules' clocks count from (None: every kind, a clock from any signal)."""
    keys = {key for key, offsets in ruleset.signal_clocks if offsets and key != START}
    return None if ANY_SIGNAL in keys else frozenset(keys)


def next_instant(
    *,
    ruleset: CompiledRuleSet,
    kinds_times: list[tuple[str, dt.datetime]],
    created_at: dt.datetime,
    since: dt.datetime,
    settled: bool,
    after: dt.datetime,
) -> dt.datetime | None:
    """The first candidate instant after `after` should no signal come after it, for a stage held from
    `since`; `kinds_times` are the signals up to `after` of at least its clock_horizon, `created_at` the
    start of tenure. Past the last instant, a bound no instant comes before; None past year 9999."""
    offsets = stage_offsets(ruleset, settled)
    longest = max([*offsets, *(max(o) for _, o in ruleset.signal_clocks if o)], default=0) + 1
    try:
        until = after + longest * DAY
    except OverflowError:
        return None
    clocks = [*signal_clocks(ruleset, kinds_times, created_at=created_at), ([since], offsets)]
    points = candidate_points(times=[], clocks=clocks, lo=after, lo_inclusive=False, at=until)
    return min(points, default=until)
