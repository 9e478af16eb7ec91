"""Reads of the agent's desk on the 360° page: the tickets an ETA can be recorded for."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F, Max, OuterRef, Q, Subquery

from cxcore.models import Signal
from cxcore.signal_kinds import SignalKind

TICKET_KINDS = (
    SignalKind.TICKET_OPENED,
    SignalKind.TICKET_REOPENED,
    SignalKind.TICKET_RESOLVED,
    SignalKind.TICKET_ETA_GIVEN,
)
OPENINGS = (SignalKind.TICKET_OPENED, SignalKind.TICKET_REOPENED)


@dataclass(frozen=True)
class OpenTicket:
    ref: str
    opened_at: dt.datetime
    issue_key: str
    has_eta: bool  # an ETA was given at or after it was opened, as the eta_given fact counts it
    eta: dt.datetime | None  # the time the latest ETA given for it named (None without an ETA since the opening)


def customer_open_tickets(*, customer_id: int, at: dt.datetime) -> list[OpenTicket]:
    """The customer's tickets open at `at`, oldest first, each with whether an ETA was given and the latest one.

    Open as the facts count it (cxcore/facts/catalogue.py, tickets): the latest opening later than the latest
    resolution; it has an ETA when one was given at or after that opening. One statement, grouped by ticket,
    so only the open tickets come back, however long the history.
    """
    signals = Signal.objects.filter(customer_id=customer_id, kind__in=TICKET_KINDS, occurred_at__lte=at).exclude(
        ticket_ref=""
    )
    latest_eta = (
        signals.filter(ticket_ref=OuterRef("ticket_ref"), kind=SignalKind.TICKET_ETA_GIVEN, eta__isnull=False)
        .order_by("-occurred_at", "-id")
        .values("eta")[:1]
    )
    rows = (
        signals.order_by()
        .values("ticket_ref")
        .annotate(
            opened_at=Max("occurred_at", filter=Q(kind__in=OPENINGS)),
            resolved_at=Max("occurred_at", filter=Q(kind=SignalKind.TICKET_RESOLVED)),
            eta_given_at=Max("occurred_at", filter=Q(kind=SignalKind.TICKET_ETA_GIVEN)),
            issue=Max("issue_key", filter=Q(kind__in=OPENINGS)),
            eta=Subquery(latest_eta),
        )
        .filter(Q(resolved_at__isnull=True) | Q(opened_at__gt=F("resolved_at")), opened_at__isnull=False)
        .order_by("opened_at", "ticket_ref")
    )
    tickets = []
    for row in rows:
        has_eta = row["eta_given_at"] is not None and row["eta_given_at"] >= row["opened_at"]
        tickets.append(
            OpenTicket(
                ref=row["ticket_ref"],
                opened_at=row["opened_at"],
                issue_key=row["issue"] or "",
                has_eta=has_eta,
                eta=row["eta"] if has_eta else None,
            )
        )
    return tickets


def customer_desk_360(*, customer, at: dt.datetime) -> dict:
    """The desk's part of the 360° view (registered with cxcore's customer_360): the open tickets."""
    return {
        "open_tickets": [
            {
                "ref": ticket.ref,
                "opened_at": ticket.opened_at,
                "issue_key": ticket.issue_key,
                "has_eta": ticket.has_eta,
                "eta": ticket.eta,
            }
            for ticket in customer_open_tickets(customer_id=customer.pk, at=at)
        ]
    }
