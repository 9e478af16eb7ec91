"""The folds of tickets and issues (catalogue.py's docstring: tickets), in Python and in SQL side by side.

Every ticket fold reads one shared per-ticket level, folded once: in Python `ticket_states` (cached
on the Summary), in SQL the level-1 group of each (customer, ticket_ref) with its `is_open`. A
ticket's state reads only the ticket kinds of its group, so another kind of signal naming a ticket
may share the group: the groups follow the column as stored (no expression to sort by per row).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import models

from cxcore.signal_kinds import Severity, SignalKind

from .folds import (
    ISSUE_KEY,
    OCCURRED_AT,
    SEVERITY,
    TICKET_REF,
    Fold,
    Summary,
    WindowCount,
    days_since,
    kinds_of,
    window_since,
)
from .sql import DAY_US, Dialect, count, kind_is, literal, total, window_start

OPENED, REOPENED, RESOLVED, ETA_GIVEN = kinds_of(
    SignalKind.TICKET_OPENED, SignalKind.TICKET_REOPENED, SignalKind.TICKET_RESOLVED, SignalKind.TICKET_ETA_GIVEN
)
OPENINGS = (OPENED, REOPENED)
HIGH = str(Severity.HIGH)


@dataclass(slots=True)
class TicketState:
    open_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    eta_at: dt.datetime | None = None
    high: bool = False

    @property
    def is_open(self) -> bool:
        # At the same instant, the resolution wins.
        return self.open_at is not None and (self.resolved_at is None or self.open_at > self.resolved_at)


def ticket_states(summary: Summary) -> list[TicketState]:
    """Each ticket of the customer as of T; signals without a ticket_ref belong to no ticket."""
    tickets: dict[str, TicketState] = {}
    for kind in (OPENED, REOPENED, RESOLVED, ETA_GIVEN):
        for row in summary.by_kind.get(kind, ()):
            ref, at = row[TICKET_REF], row[OCCURRED_AT]
            if not ref:
                continue
            ticket = tickets.get(ref)
            if ticket is None:
                ticket = tickets[ref] = TicketState()
            if kind == RESOLVED:
                if ticket.resolved_at is None or at > ticket.resolved_at:
                    ticket.resolved_at = at
            elif kind == ETA_GIVEN:
                if ticket.eta_at is None or at > ticket.eta_at:
                    ticket.eta_at = at
            else:
                if ticket.open_at is None or at > ticket.open_at:
                    ticket.open_at = at
                if kind == OPENED and row[SEVERITY] == HIGH:
                    ticket.high = True
    return list(tickets.values())


def open_tickets(summary: Summary) -> list[TicketState]:
    return [ticket for ticket in summary.shared(ticket_states) if ticket.is_open]


class _TicketFold(Fold):
    """Reads the per-ticket level: its level-1 aggregates and `is_open` come with every ticket fold."""

    clock_from = OPENINGS

    def level1(self, d: Dialect, key: str) -> dict[str, str]:
        return {
            "open_at": f"MAX(CASE WHEN {kind_is(OPENINGS)} THEN s.occurred_at END)",
            "resolved_at": f"MAX(CASE WHEN {kind_is((RESOLVED,))} THEN s.occurred_at END)",
            "eta_at": f"MAX(CASE WHEN {kind_is((ETA_GIVEN,))} THEN s.occurred_at END)",
            "high": f"MAX(CASE WHEN {kind_is((OPENED,))} AND s.severity = {literal(HIGH)} THEN 1 ELSE 0 END)",
        }

    def per_ticket(self, d: Dialect, key: str) -> dict[str, str]:
        is_open = "ref <> '' AND open_at IS NOT NULL AND (resolved_at IS NULL OR open_at > resolved_at)"
        return {"is_open": f"CASE WHEN {is_open} THEN 1 ELSE 0 END"}


@dataclass(frozen=True)
class OpenTickets(_TicketFold):
    """Tickets open at T; `high`: only those whose ticket_opened said severity high."""

    high: bool = False

    def python(self, customer, summary: Summary, at: dt.datetime) -> int:
        tickets = summary.shared(open_tickets)
        return sum(1 for ticket in tickets if ticket.high) if self.high else len(tickets)

    def field(self) -> models.Field:
        return models.IntegerField()

    def level2(self, d: Dialect, key: str) -> dict[str, str]:
        return {"open_high": total("is_open * high")} if self.high else {"open_tickets": total("is_open")}

    def stored(self, d: Dialect, key: str) -> str:
        return f"COALESCE(kc.{'open_high' if self.high else 'open_tickets'}, 0)"


@dataclass(frozen=True)
class OldestOpenTicket(_TicketFold):
    """Since the earliest open-since among open tickets (a reopening restarts a ticket's clock)."""

    counts_days = True

    def python(self, customer, summary: Summary, at: dt.datetime) -> int | None:
        oldest = None
        for ticket in summary.shared(open_tickets):
            if oldest is None or ticket.open_at < oldest:
                oldest = ticket.open_at
        return days_since(oldest, at)

    def field(self) -> models.Field:
        return models.DateTimeField(null=True)

    def level2(self, d: Dialect, key: str) -> dict[str, str]:
        return {"oldest_open_at": "MIN(CASE WHEN is_open = 1 THEN open_at END)"}

    def stored(self, d: Dialect, key: str) -> str:
        return "kc.oldest_open_at"


@dataclass(frozen=True)
class OpenWithoutEta(_TicketFold):
    """Open tickets with no ETA given since they were (re)opened; `none`: whether there are none of them."""

    none: bool = False

    def python(self, customer, summary: Summary, at: dt.datetime) -> int | bool:
        n = 0
        for ticket in summary.shared(open_tickets):
            if ticket.eta_at is None or ticket.eta_at < ticket.open_at:
                n += 1
        return n == 0 if self.none else n

    def field(self) -> models.Field:
        return models.BooleanField() if self.none else models.IntegerField()

    def level2(self, d: Dialect, key: str) -> dict[str, str]:
        return {"open_without_eta": count("is_open = 1 AND (eta_at IS NULL OR eta_at < open_at)")}

    def stored(self, d: Dialect, key: str) -> str:
        return "(COALESCE(kc.open_without_eta, 0) = 0)" if self.none else "COALESCE(kc.open_without_eta, 0)"


@dataclass(frozen=True)
class TicketsResolvedInWindow(WindowCount, _TicketFold):
    """Distinct tickets with a ticket_resolved in the last `days` days."""

    days: int
    clock_from = (RESOLVED,)

    def python(self, customer, summary: Summary, at: dt.datetime) -> int:
        since = window_since(at, self.days)
        n = 0
        for ticket in summary.shared(ticket_states):
            if ticket.resolved_at is not None and ticket.resolved_at > since:
                n += 1
        return n

    def field(self) -> models.Field:
        return models.IntegerField()

    def level2(self, d: Dialect, key: str) -> dict[str, str]:
        resolved = f"ref <> '' AND resolved_at > {window_start(self.days)}"
        return {key: count(resolved), f"{key}_from": f"MIN(CASE WHEN {resolved} THEN resolved_at END)"}


@dataclass(frozen=True)
class LastResolution(_TicketFold):
    """Since the latest ticket_resolved of a ticket."""

    counts_days = True
    clock_from = (RESOLVED,)

    def python(self, customer, summary: Summary, at: dt.datetime) -> int | None:
        latest = None
        for ticket in summary.shared(ticket_states):
            if ticket.resolved_at is not None and (latest is None or ticket.resolved_at > latest):
                latest = ticket.resolved_at
        return days_since(latest, at)

    def field(self) -> models.Field:
        return models.DateTimeField(null=True)

    def level2(self, d: Dialect, key: str) -> dict[str, str]:
        return {"last_resolved_at": "MAX(CASE WHEN ref <> '' THEN resolved_at END)"}

    def stored(self, d: Dialect, key: str) -> str:
        return "kc.last_resolved_at"


@dataclass(frozen=True)
class IssueRecurrence(Fold):
    """The largest number of distinct tickets opened (ticket_opened) on one issue_key in the last `days` days.

    In SQL a CTE of its own, named after the fact, reading the ticket openings of the window once more.
    """

    days: int
    clock_from = (OPENED,)

    @property
    def window_days(self) -> int:
        return self.days

    def python(self, customer, summary: Summary, at: dt.datetime) -> int:
        since = window_since(at, self.days)
        issues: dict[str, set[str]] = {}
        for row in summary.by_kind.get(OPENED, ()):
            if row[OCCURRED_AT] > since and row[ISSUE_KEY] and row[TICKET_REF]:
                issues.setdefault(row[ISSUE_KEY], set()).add(row[TICKET_REF])
        return max(map(len, issues.values()), default=0)

    def field(self) -> models.Field:
        return models.IntegerField()

    def ctes(self, d: Dialect, key: str, *, signals: str, customers: str) -> dict[str, str]:
        return {
            key: f"""SELECT cid, MAX(tickets) AS max_issue_tickets, MIN(first_opened) AS openings_from
    FROM (
        SELECT s.customer_id AS cid, s.issue_key, COUNT(DISTINCT s.ticket_ref) AS tickets,
            MIN(s.occurred_at) AS first_opened
        FROM {signals} s
        WHERE {kind_is((OPENED,))} AND s.ticket_ref <> '' AND s.issue_key <> ''
            AND s.occurred_at > {window_start(self.days)} AND s.occurred_at <= %(at)s AND {customers}
        GROUP BY 1, 2
    ) per_issue
    GROUP BY cid"""
        }

    def stored(self, d: Dialect, key: str) -> str:
        return f"COALESCE({key}.max_issue_tickets, 0)"

    def expiries(self, d: Dialect, key: str) -> list[str]:
        return [f"{d.epoch_us(f'{key}.openings_from')} + {self.days} * {DAY_US}"]
