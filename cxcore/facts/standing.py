"""The facts as they stand at a checkpoint's instant S, and until when they stand should no signal come after S.

With no new signal, a fact changes only with time: a windowed count when a signal it counts leaves
its window (keeps.expires), a day count as the days pass. So the facts at any T from S up to the
first such expiry are the windowed counts as they were at S; every day count the one at S plus
T - S (exact microseconds: it counts from an instant at or before S); every other fact as it was
at S; and those that read the profile (which may change meanwhile, or, for the tenure, begin after
S) folded at T over the one row they keep (the first signal). A decision or a page about a customer
with nothing new reads this, a few values whatever the history, instead of the checkpoint's windows:
no open ticket, survey or purchase row is read back (a merchant with hundreds of open tickets
costs what one with none does).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .catalogue import CXCORE_FACTS
from .checkpoint import Checkpoint, rows_dump, rows_load
from .days import DayCount, duration_us, epoch_us
from .folds import Profile, Summary
from .keeps import expires, keeps
from .per_customer import FACT_PY

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# The stored JSON's format: a standing of another (the rows of every fact, before) is not read.
VERSION = 2
_WINDOWED = tuple(fact for fact in CXCORE_FACTS if fact.window_days)
# Folded at T: the facts that read the profile (a tenure may begin after S, at the profile's creation).
_AT_T = tuple(fact for fact in CXCORE_FACTS if isinstance(fact.fold, Profile) or fact.fold.may_start_after_t)
# Kept as they were at S (a day count moved on by T - S): the others.
_KEPT = tuple(fact for fact in CXCORE_FACTS if fact not in _WINDOWED and fact not in _AT_T)
_AT_T_PY = tuple((fact.name, FACT_PY[fact.name]) for fact in _AT_T)


@dataclass(frozen=True)
class Standing:
    """The facts at every T in [as_of, until) with no signal after as_of: `counts` (the windowed counts) and
    `values` (the others but the profile's) as they are at as_of, a day count of them moved on to T; the
    profile's folded over `rows` at T. `until` None: no count expires."""

    as_of: dt.datetime
    rows: tuple[tuple, ...]
    counts: dict[str, Any]
    values: dict[str, Any]
    until: dt.datetime | None

    def holds(self, at: dt.datetime) -> bool:
        return self.as_of <= at and (self.until is None or at < self.until)


def standing_of(checkpoint: Checkpoint, summary: Summary | None = None) -> Standing:
    """The standing of the facts at the checkpoint's instant (its rows give every fact then); `summary`: the one
    it was folded from (checkpoint.checkpoint_folded), which gives them too, with the tickets folded already."""
    at = checkpoint.as_of
    if summary is None:
        summary = Summary(checkpoint.rows, at=at)
    elif summary.at != at:
        raise ValueError("the summary must be as of the checkpoint's instant")
    # Neither the windowed nor the kept folds read the profile (the customer): only _AT_T's do.
    counts = {fact.name: fact.fold.python(None, summary, at) for fact in _WINDOWED}
    values = {fact.name: fact.fold.python(None, summary, at) for fact in _KEPT}
    ends = [end for fact in _WINDOWED if (end := expires(fact.fold, summary)) is not None]
    kept = {id(row): row for fact in _AT_T for row in keeps(fact.fold, summary)}
    return Standing(at, tuple(kept.values()), counts, values, min(ends, default=None))


def standing_facts(*, customer, standing: Standing, at: dt.datetime) -> dict[str, Any]:
    """cxcore's facts at `at` from the standing (standing.holds(at), no signal after its instant up to `at`),
    in the catalogue's order."""
    summary = Summary(standing.rows, at=at)
    moved = duration_us(at - standing.as_of)
    facts = {}
    for name in FACT_PY:
        if name in standing.counts:
            facts[name] = standing.counts[name]
        elif name in standing.values:
            value = standing.values[name]
            facts[name] = DayCount(value.us + moved) if type(value) is DayCount else value
    facts.update((name, fn(customer, summary, at)) for name, fn in _AT_T_PY)
    return facts


def _value_dump(value: Any) -> Any:
    # JSON keeps ints, bools, text and null as they are; a day count is its exact duration, a decimal its text.
    if type(value) is DayCount:
        return {"us": value.us}
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    return value


def _value_load(value: Any) -> Any:
    if type(value) is dict:
        return DayCount(value["us"]) if "us" in value else Decimal(value["decimal"])
    return value


def standing_dump(standing: Standing) -> dict[str, Any]:
    # The windowed counts are integers: JSON as they are.
    until = None if standing.until is None else epoch_us(standing.until)
    return {
        "v": VERSION,
        # Not under "rows": a process still running the format before would read these as every fact's rows.
        "first": rows_dump(standing.rows),
        "counts": dict(standing.counts),
        "values": {name: _value_dump(value) for name, value in standing.values.items()},
        "until": until,
    }


def standing_load(data: dict[str, Any] | None, *, as_of: dt.datetime) -> Standing | None:
    """standing_dump's standing; None when there is none to read (or one of another format)."""
    if not data or data.get("v") != VERSION:
        return None
    until = None if data["until"] is None else _EPOCH + dt.timedelta(microseconds=data["until"])
    values = {name: _value_load(value) for name, value in data["values"].items()}
    return Standing(as_of, rows_load(data["first"]), data["counts"], values, until)
