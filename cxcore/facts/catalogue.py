"""The fact catalogue: one definition per fact (DESIGN.md section 4).

A fact is a named, typed value per customer as of a time T, computed from the customer's profile
and their signals with ``occurred_at <= T``. Each fact here is computed two ways that must agree
exactly: ``per_customer.facts_for_customer`` (Python, one customer) and
``set_based.facts_compute_all`` (one SQL statement, every customer). Both read the same
intermediate per-customer aggregates, named alike in both modules.

Shared semantics, defined once:

- **days**: ``floor((T - t) / 86400 s)``, an integer; every "days since" fact is null when the
  event never happened by T.
- **windows** are half-open: "in the last N days" means ``T - N days < occurred_at <= T``.
- **tickets**: a ticket is identified by (customer, ticket_ref); ticket signals without a
  ticket_ref belong to no ticket and feed no fact. As of T a ticket is *open* when its latest
  ticket_opened/ticket_reopened is strictly later than its latest ticket_resolved (or it was never
  resolved): at the same instant, the resolution wins. It is *open since* its latest
  ticket_opened/ticket_reopened. It *has an ETA* when a ticket_eta_given of the same ticket_ref
  occurred at or after its open-since (and at or before T): an ETA given before a reopening does
  not count. It is *high severity* when any of its ticket_opened signals says severity "high".
- **surveys**: a survey_response counts when it has a score and a scale with
  ``0 <= score <= scale`` and ``scale > 0``; its score on 0-10 is ``score * 10 / scale`` rounded
  half up to one decimal place. The latest counting response wins; at the same instant, the
  higher score.
- **contacts**: outbound (direction "out") ``contact`` signals, of every team.

Signals dated before 1970 are not supported (the survey tie-break packs epoch microseconds into
a 64-bit integer).

The facts that come from the stage history (stage, previous_stage, days_in_stage) live in membrane,
which registers them here with ``register`` so the catalogue stays one list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FactType = Literal["int", "decimal", "bool", "str"]


@dataclass(frozen=True)
class FactDef:
    name: str
    type: FactType
    description: str
    example: object
    nullable: bool = False
    # The closed list of values a "str" fact can take, when there is one (stage keys); None = open.
    values: tuple[str, ...] | None = None
    # How time alone changes the fact (with no new signal), for the event-time evaluation to know its
    # instants: a day count grows by one every whole day after an instant (`counts_days`); a windowed
    # count loses a signal `window_days` after it happened.
    counts_days: bool = False
    window_days: int | None = None
    # The instants that clock counts from: signals of these kinds, any signal (ANY_SIGNAL), or the
    # start of tenure (START).
    clock_from: tuple[str, ...] = ()


ANY_SIGNAL = "*"
START = "start"


CXCORE_FACTS: tuple[FactDef, ...] = (
    FactDef("segment", "str", "The customer's segment from the profile; null when blank.", "smb", nullable=True),
    FactDef("region", "str", "The customer's region from the profile; null when blank.", "north", nullable=True),
    FactDef("lifetime_value", "decimal", "Lifetime value from the profile.", "1250.00"),
    FactDef(
        "tenure_days",
        "int",
        "Days since the customer began: the earlier of the profile's creation and their first signal "
        "(of any kind) by T; null when T is before both.",
        420,
        nullable=True,
        counts_days=True,
        clock_from=("start",),
    ),
    FactDef("open_tickets", "int", "Tickets open at T.", 1),
    FactDef("open_high_severity_tickets", "int", "Open tickets whose ticket_opened said severity high.", 0),
    FactDef(
        "days_since_oldest_open_ticket",
        "int",
        "Days since the earliest open-since among open tickets (a reopening restarts a ticket's clock); "
        "null when none is open.",
        5,
        nullable=True,
        counts_days=True,
        clock_from=("ticket_opened", "ticket_reopened"),
    ),
    FactDef("open_tickets_without_eta", "int", "Open tickets without an ETA given since they were (re)opened.", 1),
    FactDef("eta_given", "bool", "Every open ticket has an ETA; true when none is open.", False),
    FactDef(
        "max_issue_recurrence_90d",
        "int",
        "The largest number of distinct tickets opened (ticket_opened) on one issue_key in the last 90 days; "
        "0 when none.",
        4,
        window_days=90,
        clock_from=("ticket_opened",),
    ),
    FactDef(
        "tickets_resolved_30d",
        "int",
        "Distinct tickets with a ticket_resolved in the last 30 days.",
        1,
        window_days=30,
        clock_from=("ticket_resolved",),
    ),
    FactDef(
        "days_since_last_resolution",
        "int",
        "Days since the latest ticket_resolved; null if none.",
        2,
        nullable=True,
        counts_days=True,
        clock_from=("ticket_resolved",),
    ),
    FactDef(
        "complaints_30d", "int", "Complaint signals in the last 30 days.", 0, window_days=30, clock_from=("complaint",)
    ),
    FactDef(
        "purchases_90d", "int", "Purchase signals in the last 90 days.", 2, window_days=90, clock_from=("purchase",)
    ),
    FactDef(
        "days_since_last_purchase",
        "int",
        "Days since the latest purchase; null if none.",
        40,
        nullable=True,
        counts_days=True,
        clock_from=("purchase",),
    ),
    FactDef(
        "last_survey_score",
        "decimal",
        "Score of the latest survey response on a 0-10 scale (score * 10 / scale, one decimal, half up); null if none.",
        "7.5",
        nullable=True,
    ),
    FactDef(
        "contacts_7d",
        "int",
        "Outbound contact signals of every team in the last 7 days.",
        3,
        window_days=7,
        clock_from=("contact",),
    ),
    FactDef(
        "days_since_last_contact",
        "int",
        "Days since the latest outbound contact of any team; null if none.",
        12,
        nullable=True,
        counts_days=True,
        clock_from=("contact",),
    ),
)

_registry: dict[str, FactDef] = {fact.name: fact for fact in CXCORE_FACTS}


def register(fact: FactDef) -> FactDef:
    """Adds a fact defined outside cxcore (membrane's stage facts); registering the same definition twice is a no-op."""
    existing = _registry.get(fact.name)
    if existing is not None and existing != fact:
        raise ValueError(f"fact {fact.name!r} is already defined differently")
    _registry[fact.name] = fact
    return fact


def all_facts() -> tuple[FactDef, ...]:
    """Every registered fact: cxcore's in catalogue order, then those registered later."""
    return tuple(_registry.values())


def get(name: str) -> FactDef:
    return _registry[name]


def cxcore_fact_names() -> tuple[str, ...]:
    return tuple(fact.name for fact in CXCORE_FACTS)
