"""The facts as they stand at a checkpoint's instant S, and until when they stand should no signal come after S.

With no new signal, a fact changes only with time: a windowed count when a signal it counts leaves
its window (keeps.expires), a day count as the days pass. So the facts at any T from S up to the
first such expiry are the windowed counts as they were at S, and every other fact folded over the
few rows it keeps (the first signal, the latest of a kind, the open tickets, the latest resolved
ticket, the best survey: keeps.py) at T. A decision or a page about a customer with nothing new reads
this, a handful of rows whatever the history, instead of the checkpoint's windows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from .catalogue import CXCORE_FACTS
from .checkpoint import Checkpoint, rows_dump, rows_load
from .days import epoch_us
from .folds import Profile, Summary
from .keeps import expires, keeps, ticket_closure
from .per_customer import FACT_PY

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_WINDOWED = tuple(fact for fact in CXCORE_FACTS if fact.window_days)
_MOVING = tuple(fact for fact in CXCORE_FACTS if not fact.window_days and not isinstance(fact.fold, Profile))
# The facts folded at T from the standing rows: all but the windowed counts.
_FOLDED = tuple((name, fn) for name, fn in FACT_PY.items() if name not in {fact.name for fact in _WINDOWED})


@dataclass(frozen=True)
class Standing:
    """The facts at every T in [as_of, until) with no signal after as_of: `counts` (the windowed counts) as
    they are, the others folded over `rows` at T. `until` None: no count expires."""

    as_of: dt.datetime
    rows: tuple[tuple, ...]
    counts: dict[str, Any]
    until: dt.datetime | None

    def holds(self, at: dt.datetime) -> bool:
        return self.as_of <= at and (self.until is None or at < self.until)


def standing_of(checkpoint: Checkpoint) -> Standing:
    """The standing of the facts at the checkpoint's instant (its rows give every fact then)."""
    summary = Summary(checkpoint.rows, at=checkpoint.as_of)
    # The windowed folds read no profile (the customer): only Profile and Tenure do.
    counts = {fact.name: fact.fold.python(None, summary, checkpoint.as_of) for fact in _WINDOWED}
    ends = [end for fact in _WINDOWED if (end := expires(fact.fold, summary)) is not None]
    kept = {id(row): row for fact in _MOVING for row in keeps(fact.fold, summary)}
    # A ticket kept in part (the first signal an opening) would be in another state: keep what decides it.
    for row in ticket_closure(summary, list(kept.values())):
        kept[id(row)] = row
    return Standing(checkpoint.as_of, tuple(kept.values()), counts, min(ends, default=None))


def standing_facts(*, customer, standing: Standing, at: dt.datetime) -> dict[str, Any]:
    """cxcore's facts at `at` from the standing (standing.holds(at), no signal after its instant up to `at`)."""
    summary = Summary(standing.rows, at=at)
    facts = {name: fn(customer, summary, at) for name, fn in _FOLDED}
    facts.update(standing.counts)
    return facts


def standing_dump(standing: Standing) -> dict[str, Any]:
    # The windowed counts are integers: JSON as they are.
    until = None if standing.until is None else epoch_us(standing.until)
    return {"rows": rows_dump(standing.rows), "counts": dict(standing.counts), "until": until}


def standing_load(data: dict[str, Any] | None, *, as_of: dt.datetime) -> Standing | None:
    if not data:
        return None
    until = None if data["until"] is None else _EPOCH + dt.timedelta(microseconds=data["until"])
    return Standing(as_of, rows_load(data["rows"]), data["counts"], until)
