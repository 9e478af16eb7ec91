"""Facts of one customer as of T, in Python (the semantics are in catalogue.py's docstring).

Mirrors set_based.py step by step: the signals are folded into per-ticket and per-issue states,
then into one `Summary` per customer whose fields carry the same names as the SQL aggregates,
and each fact is a small function of the profile and the summary.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cxcore.models import Customer, Signal, SignalKind

from .catalogue import CXCORE_FACTS

DAY = dt.timedelta(days=1)
# Plain strings: a TextChoices member hashes by its name, so it would not match a kind read from the database.
OPENING_KINDS = frozenset({SignalKind.TICKET_OPENED.value, SignalKind.TICKET_REOPENED.value})
TICKET_KINDS = OPENING_KINDS | {SignalKind.TICKET_RESOLVED.value, SignalKind.TICKET_ETA_GIVEN.value}


def days_between(at: dt.datetime, then: dt.datetime | None) -> int | None:
    """Whole days from `then` to `at`, floored; null when `then` is."""
    return None if then is None else (at - then) // DAY


def survey_tenths(score: Decimal | None, scale: int | None) -> int | None:
    """A response's score on 0-100 tenths (half up), or None when it does not count."""
    if score is None or not scale or score < 0 or score > scale:
        return None
    cents = int(score * 100)
    return (2 * cents + scale) // (2 * scale)


@dataclass
class _Ticket:
    open_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    eta_at: dt.datetime | None = None
    high: bool = False
    resolved_30d: bool = False

    @property
    def is_open(self) -> bool:
        return self.open_at is not None and (self.resolved_at is None or self.open_at > self.resolved_at)


@dataclass
class Summary:
    """Per-customer aggregates of the signals up to T; the set-based SQL computes the same columns."""

    first_at: dt.datetime | None = None
    open_tickets: int = 0
    open_high: int = 0
    oldest_open_at: dt.datetime | None = None
    open_without_eta: int = 0
    resolved_30d: int = 0
    last_resolved_at: dt.datetime | None = None
    max_issue_tickets: int = 0
    complaints_30d: int = 0
    purchases_90d: int = 0
    last_purchase_at: dt.datetime | None = None
    contacts_7d: int = 0
    last_contact_at: dt.datetime | None = None
    # (occurred_at, tenths) of the latest counting survey response; max() gives the tie-break.
    survey: tuple[dt.datetime, int] | None = None
    tickets: dict[str, _Ticket] = field(default_factory=dict)


def _max(a, b):
    return b if a is None or (b is not None and b > a) else a


def summarise(rows, *, at: dt.datetime) -> Summary:
    """Folds (kind, direction, occurred_at, ticket_ref, issue_key, severity, score, scale) rows, all <= at."""
    t7, t30, t90 = at - 7 * DAY, at - 30 * DAY, at - 90 * DAY
    s = Summary()
    issues: dict[str, set[str]] = {}
    for kind, direction, occurred_at, ticket_ref, issue_key, severity, score, scale in rows:
        if s.first_at is None or occurred_at < s.first_at:
            s.first_at = occurred_at
        if kind in TICKET_KINDS:
            if not ticket_ref:
                continue
            ticket = s.tickets.setdefault(ticket_ref, _Ticket())
            if kind in OPENING_KINDS:
                ticket.open_at = _max(ticket.open_at, occurred_at)
                if kind == SignalKind.TICKET_OPENED:
                    ticket.high = ticket.high or severity == "high"
                    if occurred_at > t90 and issue_key:
                        issues.setdefault(issue_key, set()).add(ticket_ref)
            elif kind == SignalKind.TICKET_RESOLVED:
                ticket.resolved_at = _max(ticket.resolved_at, occurred_at)
                ticket.resolved_30d = ticket.resolved_30d or occurred_at > t30
            else:
                ticket.eta_at = _max(ticket.eta_at, occurred_at)
        elif kind == SignalKind.COMPLAINT:
            s.complaints_30d += occurred_at > t30
        elif kind == SignalKind.PURCHASE:
            s.purchases_90d += occurred_at > t90
            s.last_purchase_at = _max(s.last_purchase_at, occurred_at)
        elif kind == SignalKind.CONTACT and direction == "out":
            s.contacts_7d += occurred_at > t7
            s.last_contact_at = _max(s.last_contact_at, occurred_at)
        elif kind == SignalKind.SURVEY_RESPONSE:
            tenths = survey_tenths(score, scale)
            if tenths is not None:
                s.survey = _max(s.survey, (occurred_at, tenths))
    for ticket in s.tickets.values():
        s.resolved_30d += ticket.resolved_30d
        s.last_resolved_at = _max(s.last_resolved_at, ticket.resolved_at)
        if ticket.is_open:
            s.open_tickets += 1
            s.open_high += ticket.high
            s.open_without_eta += ticket.eta_at is None or ticket.eta_at < ticket.open_at
            if s.oldest_open_at is None or ticket.open_at < s.oldest_open_at:
                s.oldest_open_at = ticket.open_at
    s.max_issue_tickets = max((len(refs) for refs in issues.values()), default=0)
    return s


def _tenure_days(customer: Customer, s: Summary, at: dt.datetime) -> int | None:
    start = customer.created_at if s.first_at is None or customer.created_at < s.first_at else s.first_at
    return None if start > at else days_between(at, start)


def _survey_score(s: Summary) -> Decimal | None:
    return None if s.survey is None else (Decimal(s.survey[1]) / 10).quantize(Decimal("0.1"))


FactFn = Callable[[Customer, Summary, dt.datetime], Any]

FACT_PY: dict[str, FactFn] = {
    "segment": lambda c, s, at: c.segment or None,
    "region": lambda c, s, at: c.region or None,
    "lifetime_value": lambda c, s, at: Decimal(c.lifetime_value).quantize(Decimal("0.01")),
    "tenure_days": _tenure_days,
    "open_tickets": lambda c, s, at: s.open_tickets,
    "open_high_severity_tickets": lambda c, s, at: s.open_high,
    "days_since_oldest_open_ticket": lambda c, s, at: days_between(at, s.oldest_open_at),
    "open_tickets_without_eta": lambda c, s, at: s.open_without_eta,
    "eta_given": lambda c, s, at: s.open_without_eta == 0,
    "max_issue_recurrence_90d": lambda c, s, at: s.max_issue_tickets,
    "tickets_resolved_30d": lambda c, s, at: s.resolved_30d,
    "days_since_last_resolution": lambda c, s, at: days_between(at, s.last_resolved_at),
    "complaints_30d": lambda c, s, at: s.complaints_30d,
    "purchases_90d": lambda c, s, at: s.purchases_90d,
    "days_since_last_purchase": lambda c, s, at: days_between(at, s.last_purchase_at),
    "last_survey_score": lambda c, s, at: _survey_score(s),
    "contacts_7d": lambda c, s, at: s.contacts_7d,
    "days_since_last_contact": lambda c, s, at: days_between(at, s.last_contact_at),
}
assert set(FACT_PY) == {fact.name for fact in CXCORE_FACTS}, "every catalogued fact needs a Python computation"

SIGNAL_COLUMNS = ("kind", "direction", "occurred_at", "ticket_ref", "issue_key", "severity", "score", "scale")


def signal_rows(*, customer: Customer, at: dt.datetime) -> list[tuple]:
    """The customer's signals up to `at` as SIGNAL_COLUMNS tuples, in no particular order (one query)."""
    return list(Signal.objects.filter(customer=customer, occurred_at__lte=at).values_list(*SIGNAL_COLUMNS))


def facts_for_customer(*, customer: Customer, at: dt.datetime, rows: list[tuple] | None = None) -> dict[str, Any]:
    """cxcore's facts of `customer` as of `at`, from their profile and their signals up to `at` (one query).

    `rows`, signal_rows(customer=customer, at=at) already read by the caller for another purpose (the
    stage's nothing-changed check on the decision path), saves the query.
    """
    if rows is None:
        rows = signal_rows(customer=customer, at=at)
    summary = summarise(rows, at=at)
    return {fact.name: FACT_PY[fact.name](customer, summary, at) for fact in CXCORE_FACTS}
