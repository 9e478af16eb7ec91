"""A customer's facts as a checkpoint: what their history up to S still holds for every fact at T >= S.

Each fold says which rows of the history up to S it still needs whatever comes later (keeps.py: the
signals still inside its window, the latest of a kind, the tickets still open or resolved inside a
window); the checkpoint is those rows, with the deciding rows of every ticket one of them belongs to,
and the tickets it drops that said high (tickets.tickets_dormant_high). The facts at T >= S are the
folds over the checkpoint's rows and the signals in (S, T]: the same as over the whole history, at a
cost bounded by the windows, not by the history's length. A checkpoint is advanced by folding it with
the signals after it; a signal dated at or before S (a late one) needs a checkpoint from before it.

Stored per customer (CustomerFoldState) as JSON: rows of SIGNAL_COLUMNS with instants as integer epoch
microseconds (exact) and scores as decimal text.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .catalogue import CXCORE_FACTS
from .folds import KIND, OCCURRED_AT, SCORE, TICKET_REF, Summary
from .keeps import TICKET_KINDS, keeps, ticket_closure, ticket_revived, tickets_dormant_high
from .per_customer import FACT_PY

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_US = dt.timedelta(microseconds=1)
# The format of the stored JSON; a checkpoint of another version is not read (computed again).
VERSION = 1
# Signals a Folding folds over its checkpoint at each instant before it moves the checkpoint on.
REBASE = 32


@dataclass(frozen=True)
class Checkpoint:
    """What the history up to `as_of` holds for the facts at any later time: `rows` (SIGNAL_COLUMNS tuples,
    in time order) and `dormant`, the dropped tickets that said high (ref -> their latest resolution)."""

    as_of: dt.datetime
    rows: tuple[tuple, ...] = ()
    dormant: dict[str, dt.datetime] = field(default_factory=dict)

    def with_signals(self, rows: Iterable[tuple]) -> list[tuple]:
        """The rows that give the facts at any T >= as_of when `rows` are the signals after as_of up to T:
        the checkpoint's, the dormant tickets those signals name again, and those signals."""
        rows = list(rows)
        if not self.dormant:
            return [*self.rows, *rows]
        revived = {
            row[TICKET_REF]
            for row in rows
            if row[KIND] in TICKET_KINDS and row[TICKET_REF] and row[TICKET_REF] in self.dormant
        }
        return [*self.rows, *(r for ref in revived for r in ticket_revived(ref, self.dormant[ref])), *rows]


def checkpoint_fold(rows: Sequence[tuple], *, at: dt.datetime, since: Checkpoint | None = None) -> Checkpoint:
    """The checkpoint as of `at` of the signals `rows` (all dated after `since`, if given, and up to `at`)."""
    return checkpoint_folded(rows, at=at, since=since)[0]


def checkpoint_folded(
    rows: Sequence[tuple], *, at: dt.datetime, since: Checkpoint | None = None
) -> tuple[Checkpoint, Summary]:
    """checkpoint_fold's checkpoint, and the summary it was folded from: the facts at `at` over either are the
    same, and the summary has what they share (the tickets) folded already."""
    dormant = {}
    if since is not None:
        rows = since.with_signals(rows)
        # A revived ticket is a ticket of the rows again: it is kept or dropped anew.
        named = {row[TICKET_REF] for row in rows if row[KIND] in TICKET_KINDS}
        dormant = {ref: resolved for ref, resolved in since.dormant.items() if ref not in named}
    summary = Summary(rows, at=at)
    kept: dict[int, tuple] = {}
    for keep, fold in _KEEPS:
        for row in keep(fold, summary):
            kept[id(row)] = row
    for row in ticket_closure(summary, list(kept.values())):
        kept[id(row)] = row
    kept_refs = {row[TICKET_REF] for row in kept.values() if row[KIND] in TICKET_KINDS and row[TICKET_REF]}
    dormant.update(tickets_dormant_high(summary, kept_refs))
    return Checkpoint(as_of=at, rows=tuple(sorted(kept.values(), key=_time)), dormant=dormant), summary


# Each fact's keeps(), looked up once: singledispatch's lookup on every call was a tenth of a checkpoint's fold.
_KEEPS = tuple((keeps.dispatch(type(fact.fold)), fact.fold) for fact in CXCORE_FACTS)


def _time(row: tuple) -> dt.datetime:
    return row[OCCURRED_AT]


class Folding:
    """A customer's signals folded in time order from a checkpoint (None: from the start), for the facts at
    increasing instants: each summary is the checkpoint so far with the signals after it, and the
    checkpoint moves on every REBASE signals, so each instant costs what the windows hold, not the history.

    `rows` are signals in time order; those at or before the checkpoint are in it already and skipped.
    """

    def __init__(self, checkpoint: Checkpoint | None, rows: Sequence[tuple]):
        self.base = checkpoint
        self.rows = rows
        self.times = [row[OCCURRED_AT] for row in rows]
        self.start = 0 if checkpoint is None else bisect.bisect_right(self.times, checkpoint.as_of)

    def summary(self, at: dt.datetime) -> Summary:
        """The signals up to `at` as the folds read them; `at` is no earlier than the last one asked for."""
        end = bisect.bisect_right(self.times, at)
        if end - self.start > REBASE:
            self.base = checkpoint_fold(self.rows[self.start : end], at=at, since=self.base)
            self.start = end
        pending = self.rows[self.start : end]
        return Summary(pending if self.base is None else self.base.with_signals(pending), at=at)

    def checkpoint(self, at: dt.datetime) -> Checkpoint:
        """The checkpoint as of `at` (no earlier than the last instant asked for)."""
        return self.checkpoint_folded(at)[0]

    def checkpoint_folded(self, at: dt.datetime) -> tuple[Checkpoint, Summary]:
        """The checkpoint as of `at` and the summary it was folded from (checkpoint_folded)."""
        end = bisect.bisect_right(self.times, at)
        return checkpoint_folded(self.rows[self.start : end], at=at, since=self.base)


def facts_from_checkpoint(
    *, customer, checkpoint: Checkpoint, rows: Iterable[tuple], at: dt.datetime
) -> dict[str, Any]:
    """cxcore's facts at `at` (>= checkpoint.as_of) from the checkpoint and the signals after it (`rows`, any
    order; those after `at` are left out): equal to facts_for_customer over the whole history."""
    if at < checkpoint.as_of:
        raise ValueError("a checkpoint gives the facts from its instant on")
    after = [row for row in rows if checkpoint.as_of < row[OCCURRED_AT] <= at]
    summary = Summary(checkpoint.with_signals(after), at=at)
    return {name: fn(customer, summary, at) for name, fn in FACT_PY.items()}


def _to_us(value: dt.datetime) -> int:
    # Exact integer microseconds (as days.epoch_us), in one C-level division.
    return (value - _EPOCH) // _US


def _from_us(value: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=value)


def rows_dump(rows: Iterable[tuple]) -> list[list]:
    """Signal rows as JSON: instants as integer epoch microseconds, scores as decimal text (both exact)."""
    dumped = []
    for row in rows:
        row = list(row)
        row[OCCURRED_AT] = _to_us(row[OCCURRED_AT])
        if row[SCORE] is not None:
            row[SCORE] = str(row[SCORE])
        dumped.append(row)
    return dumped


def rows_load(data: Iterable[list]) -> tuple[tuple, ...]:
    """rows_dump's rows back."""
    rows = []
    for row in data:
        row[OCCURRED_AT] = _from_us(row[OCCURRED_AT])
        if row[SCORE] is not None:
            row[SCORE] = Decimal(row[SCORE])
        rows.append(tuple(row))
    return tuple(rows)


def checkpoint_dump(checkpoint: Checkpoint) -> dict[str, Any]:
    """The checkpoint as JSON (its instant is stored beside it, in a column of its own)."""
    dormant = {ref: _to_us(at) for ref, at in checkpoint.dormant.items()}
    return {"v": VERSION, "rows": rows_dump(checkpoint.rows), "dormant": dormant}


def checkpoint_load(data: dict[str, Any] | None, *, as_of: dt.datetime) -> Checkpoint | None:
    """The checkpoint stored as `data` (checkpoint_dump) as of `as_of`; None when there is none to read."""
    if not data or data.get("v") != VERSION:
        return None
    dormant = {ref: _from_us(at) for ref, at in data["dormant"].items()}
    return Checkpoint(as_of=as_of, rows=rows_load(data["rows"]), dormant=dormant)
