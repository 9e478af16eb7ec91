"""What each fold still needs of a customer's history up to S to give its fact at every T >= S.

`keeps(fold, summary)` is, for the fold of a fact, the rows of `summary` (the signals up to S =
summary.at) that give the fact at every T >= S whatever signals dated after S are added: the
signals still inside its window, the latest of its kinds, the tickets still open or resolved inside
its window. A checkpoint (checkpoint.py) is the union over the catalogue. Every fold reads only
true rows of the history, so a row kept for one fact never changes another.

One function per fold class, beside the folds rather than in them (folds.py and tickets.py hold each
fold's Python and SQL); a fold class without one fails loudly in the checkpoint's property test.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import singledispatch
from operator import itemgetter

from .folds import (
    ISSUE_KEY,
    KIND,
    OCCURRED_AT,
    SCALE,
    SCORE,
    SEVERITY,
    SIGNAL_COLUMNS,
    TICKET_REF,
    CountInWindow,
    DaysSinceLatest,
    Fold,
    LatestSurveyScore,
    Profile,
    Summary,
    Tenure,
    survey_tenths,
    window_since,
)
from .tickets import (
    ETA_GIVEN,
    HIGH,
    OPENED,
    REOPENED,
    RESOLVED,
    IssueRecurrence,
    LastResolution,
    OldestOpenTicket,
    OpenTickets,
    OpenWithoutEta,
    TicketsResolvedInWindow,
)

TICKET_KINDS = frozenset((OPENED, REOPENED, RESOLVED, ETA_GIVEN))
_occurred_at = itemgetter(OCCURRED_AT)


@singledispatch
def keeps(fold: Fold, summary: Summary) -> Iterable[tuple]:
    raise NotImplementedError(f"{type(fold).__name__} does not say what a checkpoint keeps for it (keeps.py)")


@singledispatch
def expires(fold: Fold, summary: Summary) -> dt.datetime | None:
    """For a windowed fact: the first instant after S at which time alone changes it (a signal it counts
    leaves its window), should no signal come after S; None: never."""
    raise NotImplementedError(f"{type(fold).__name__} does not say when its count expires (keeps.py)")


def _after_window(times: Iterable[dt.datetime], days: int) -> dt.datetime | None:
    # A signal at t is in the window at T while T < t + days (windows are half-open: T - days < t).
    first = min(times, default=None)
    if first is None:
        return None
    try:
        return first + dt.timedelta(days=days)
    except OverflowError:
        return None


@keeps.register
def _(fold: Profile, summary: Summary) -> Iterable[tuple]:
    return ()


@keeps.register
def _(fold: Tenure, summary: Summary) -> Iterable[tuple]:
    first = min(summary.rows, key=_occurred_at, default=None)
    return () if first is None else (first,)


@keeps.register
def _(fold: CountInWindow, summary: Summary) -> Iterable[tuple]:
    # A signal out of the window at S is out of it at every later T.
    since = window_since(summary.at, fold.days)
    return [row for row in fold._rows(summary) if row[OCCURRED_AT] > since]


@expires.register
def _(fold: CountInWindow, summary: Summary) -> dt.datetime | None:
    return _after_window((row[OCCURRED_AT] for row in keeps(fold, summary)), fold.days)


@keeps.register
def _(fold: DaysSinceLatest, summary: Summary) -> Iterable[tuple]:
    latest = max(fold._rows(summary), key=_occurred_at, default=None)
    return () if latest is None else (latest,)


@keeps.register
def _(fold: LatestSurveyScore, summary: Summary) -> Iterable[tuple]:
    best, best_key = None, None
    for row in summary.by_kind.get(fold.kind, ()):
        tenths = survey_tenths(row[SCORE], row[SCALE])
        if tenths is not None and (best_key is None or (row[OCCURRED_AT], tenths) > best_key):
            best, best_key = row, (row[OCCURRED_AT], tenths)
    return () if best is None else (best,)


@dataclass(slots=True)
class TicketRows:
    """The rows that decide a ticket's state (tickets.TicketState) at every later time, whatever comes after:
    its latest (re)opening and resolution, its latest ETA while it is open, and a ticket_opened that said high."""

    opening: tuple | None = None
    resolved: tuple | None = None
    eta: tuple | None = None
    high: tuple | None = None

    def rows(self) -> list[tuple]:
        # An ETA counts only for a ticket open now: one reopened later is open since after it.
        eta = self.eta if self.is_open else None
        # By identity: one row may be both the latest opening and the high one.
        kept = {id(row): row for row in (self.opening, self.resolved, eta, self.high) if row is not None}
        return list(kept.values())

    @property
    def is_open(self) -> bool:
        # At the same instant, the resolution wins (as TicketState.is_open).
        return self.opening is not None and (
            self.resolved is None or self.opening[OCCURRED_AT] > self.resolved[OCCURRED_AT]
        )


def _later(row: tuple, than: tuple | None) -> bool:
    return than is None or row[OCCURRED_AT] > than[OCCURRED_AT]


def ticket_rows(summary: Summary) -> dict[str, TicketRows]:
    """Each ticket's deciding rows by ticket_ref, as tickets.ticket_states folds them."""
    tickets: dict[str, TicketRows] = {}
    for kind in (OPENED, REOPENED, RESOLVED, ETA_GIVEN):
        for row in summary.by_kind.get(kind, ()):
            ref = row[TICKET_REF]
            if not ref:
                continue
            ticket = tickets.get(ref)
            if ticket is None:
                ticket = tickets[ref] = TicketRows()
            if kind == RESOLVED:
                if _later(row, ticket.resolved):
                    ticket.resolved = row
            elif kind == ETA_GIVEN:
                if _later(row, ticket.eta):
                    ticket.eta = row
            else:
                if _later(row, ticket.opening):
                    ticket.opening = row
                if kind == OPENED and row[SEVERITY] == HIGH and ticket.high is None:
                    ticket.high = row
    return tickets


def _rows_of(tickets: Iterable[TicketRows]) -> list[tuple]:
    return [row for ticket in tickets for row in ticket.rows()]


def _open_rows(summary: Summary) -> list[tuple]:
    return _rows_of(ticket for ticket in summary.shared(ticket_rows).values() if ticket.is_open)


@keeps.register(OpenTickets)
@keeps.register(OldestOpenTicket)
@keeps.register(OpenWithoutEta)
def _(fold, summary: Summary) -> Iterable[tuple]:
    # The three read the same tickets: worked out once per summary.
    return summary.shared(_open_rows)


@keeps.register
def _(fold: TicketsResolvedInWindow, summary: Summary) -> Iterable[tuple]:
    since = window_since(summary.at, fold.days)
    return _rows_of(
        ticket
        for ticket in summary.shared(ticket_rows).values()
        if ticket.resolved is not None and ticket.resolved[OCCURRED_AT] > since
    )


@expires.register
def _(fold: TicketsResolvedInWindow, summary: Summary) -> dt.datetime | None:
    since = window_since(summary.at, fold.days)
    resolved = (ticket.resolved[OCCURRED_AT] for ticket in summary.shared(ticket_rows).values() if ticket.resolved)
    return _after_window((at for at in resolved if at > since), fold.days)


@keeps.register
def _(fold: LastResolution, summary: Summary) -> Iterable[tuple]:
    resolved = [ticket for ticket in summary.shared(ticket_rows).values() if ticket.resolved is not None]
    latest = max(resolved, key=lambda ticket: ticket.resolved[OCCURRED_AT], default=None)
    return () if latest is None else latest.rows()


@keeps.register
def _(fold: IssueRecurrence, summary: Summary) -> Iterable[tuple]:
    since = window_since(summary.at, fold.days)
    openings = summary.by_kind.get(OPENED, ())
    return [row for row in openings if row[OCCURRED_AT] > since and row[ISSUE_KEY] and row[TICKET_REF]]


@expires.register
def _(fold: IssueRecurrence, summary: Summary) -> dt.datetime | None:
    return _after_window((row[OCCURRED_AT] for row in keeps(fold, summary)), fold.days)


def ticket_closure(summary: Summary, kept: Iterable[tuple]) -> list[tuple]:
    """The deciding rows of every ticket a kept row belongs to: a ticket kept in part (an opening kept for
    a window, without the resolution after it) would be in another state."""
    tickets = summary.shared(ticket_rows)
    refs = {row[TICKET_REF] for row in kept if row[KIND] in TICKET_KINDS and row[TICKET_REF]}
    return [row for ref in refs for row in tickets[ref].rows()]


def tickets_dormant_high(summary: Summary, kept_refs: set[str]) -> dict[str, dt.datetime]:
    """The tickets a checkpoint drops that said high: ref -> their latest resolution.

    A dropped ticket is closed and resolved before every window: at every later time it feeds no
    fact, and a signal that names it again finds it as a new ticket would, except for `high`, which
    it keeps. These are revived (ticket_revived) when a later signal names them.
    """
    return {
        ref: ticket.resolved[OCCURRED_AT]
        for ref, ticket in summary.shared(ticket_rows).items()
        if ticket.high is not None and ref not in kept_refs
    }


def ticket_revived(ref: str, resolved_at: dt.datetime) -> list[tuple]:
    """Rows standing in for a dropped high ticket (tickets_dormant_high): opened high and resolved at its
    latest resolution, so that it is closed, high, and counted nowhere it was not (no issue_key)."""
    row = dict.fromkeys(SIGNAL_COLUMNS, None) | {"ticket_ref": ref, "issue_key": "", "occurred_at": resolved_at}
    opened = tuple((row | {"kind": OPENED, "severity": HIGH}).values())
    resolved = tuple((row | {"kind": RESOLVED, "severity": ""}).values())
    return [opened, resolved]
