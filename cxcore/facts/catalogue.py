"""The fact catalogue: one definition per fact (DESIGN.md section 4).

A fact is a named, typed value per customer as of a time T, computed from the customer's profile
and their signals with ``occurred_at <= T``. Each fact here is computed two ways that must agree
exactly: ``per_customer.facts_for_customer`` (Python, one customer) and
``set_based.facts_compute_all`` (one SQL statement, every customer).

Shared semantics, defined once:

- **days**: a day count is the exact duration ``T - t`` (integer microseconds, days.DayCount), never
  rounded: compared with a number n it compares durations (``> 3`` holds at 3 days and 10 hours),
  with == it compares whole days, and it shows as whole days, ``floor((T - t) / 86400 s)``
  (docs/expressions.md, "Day counts"); every "days since" fact is null when the event never
  happened by T.
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

Each definition names its fold (folds.py, tickets.py), which holds both computations side by
side; per_customer.py, set_based.py, the stored columns of CustomerFacts and selectors.py derive
everything else from the definitions. Adding a fact is one definition here (and the migration
makemigrations writes for its column); the windows live only in the folds of these definitions.

The facts that come from the stage history (stage, previous_stage, days_in_stage) live in membrane,
which registers them here with ``register`` so the catalogue stays one list.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

from django.db import models

from cxcore.signal_kinds import Direction, SignalKind

# The names of the clocks are the catalogue's too (FactDef.clock_from).
from .folds import ANY_SIGNAL as ANY_SIGNAL
from .folds import START as START
from .folds import (
    CountInWindow,
    DaysSinceLatest,
    Fold,
    LatestSurveyScore,
    Profile,
    Tenure,
    days_since,
)
from .tickets import (
    IssueRecurrence,
    LastResolution,
    OldestOpenTicket,
    OpenTickets,
    OpenWithoutEta,
    TicketsResolvedInWindow,
)

FactType = Literal["int", "decimal", "bool", "str"]


@dataclass(frozen=True)
class FactDef:
    """One fact: its name, type, meaning and example for the editor, and how it folds (its window among it)."""

    name: str
    type: FactType
    description: str
    example: object
    # How the fact folds the profile and the signals, both ways; None for a fact computed outside
    # cxcore (membrane's stage facts).
    fold: Fold | None = None
    nullable: bool = False
    # The closed list of values a "str" fact can take, when code fixes it; None = open, or data (the stage
    # facts' values are the stage definitions' keys, read where the expression language checks a value).
    values: tuple[str, ...] | None = None
    # Its column of CustomerFacts when not named after it: a day count stores the instant it counts from.
    stored_as: str | None = None

    @property
    def column(self) -> str:
        return self.stored_as or self.name

    # How time alone changes the fact (see Fold), for the event-time evaluation to know its instants.
    @property
    def counts_days(self) -> bool:
        return self.fold is not None and self.fold.counts_days

    @property
    def window_days(self) -> int | None:
        return None if self.fold is None else self.fold.window_days

    @property
    def clock_from(self) -> tuple[str, ...]:
        return () if self.fold is None else self.fold.clock_from

    def read(self, stored: Any, at: dt.datetime) -> Any:
        """The fact at `at` from its stored value (a day count's instant)."""
        return days_since(stored, at) if self.counts_days else stored


# The profile's short texts and money, as Customer stores them.
TEXT = partial(models.CharField, max_length=40)
MONEY = partial(models.DecimalField, max_digits=14, decimal_places=2)
CONTACT, COMPLAINT, PURCHASE = SignalKind.CONTACT, SignalKind.COMPLAINT, SignalKind.PURCHASE

CXCORE_FACTS: tuple[FactDef, ...] = (
    FactDef(
        "segment",
        "str",
        "The customer's segment from the profile; null when blank.",
        "smb",
        Profile("segment", TEXT, blank_is_null=True),
        nullable=True,
    ),
    FactDef(
        "region",
        "str",
        "The customer's region from the profile; null when blank.",
        "north",
        Profile("region", TEXT, blank_is_null=True),
        nullable=True,
    ),
    FactDef(
        "lifetime_value", "decimal", "Lifetime value from the profile.", "1250.00", Profile("lifetime_value", MONEY)
    ),
    FactDef(
        "tenure_days",
        "int",
        "Days since the customer began: the earlier of the profile's creation and their first signal "
        "(of any kind) by T; null when T is before both.",
        420,
        Tenure(),
        nullable=True,
        stored_as="tenure_start",
    ),
    FactDef("open_tickets", "int", "Tickets open at T.", 1, OpenTickets()),
    FactDef(
        "open_high_severity_tickets",
        "int",
        "Open tickets whose ticket_opened said severity high.",
        0,
        OpenTickets(high=True),
    ),
    FactDef(
        "days_since_oldest_open_ticket",
        "int",
        "Days since the earliest open-since among open tickets (a reopening restarts a ticket's clock); "
        "null when none is open.",
        5,
        OldestOpenTicket(),
        nullable=True,
        stored_as="oldest_open_ticket_at",
    ),
    FactDef(
        "open_tickets_without_eta",
        "int",
        "Open tickets without an ETA given since they were (re)opened.",
        1,
        OpenWithoutEta(),
    ),
    FactDef(
        "eta_given", "bool", "Every open ticket has an ETA; true when none is open.", False, OpenWithoutEta(none=True)
    ),
    FactDef(
        "max_issue_recurrence_90d",
        "int",
        "The largest number of distinct tickets opened (ticket_opened) on one issue_key in the last 90 days; "
        "0 when none.",
        4,
        IssueRecurrence(days=90),
    ),
    FactDef(
        "tickets_resolved_30d",
        "int",
        "Distinct tickets with a ticket_resolved in the last 30 days.",
        1,
        TicketsResolvedInWindow(days=30),
    ),
    FactDef(
        "days_since_last_resolution",
        "int",
        "Days since the latest ticket_resolved; null if none.",
        2,
        LastResolution(),
        nullable=True,
        stored_as="last_resolution_at",
    ),
    FactDef("complaints_30d", "int", "Complaint signals in the last 30 days.", 0, CountInWindow((COMPLAINT,), 30)),
    FactDef("purchases_90d", "int", "Purchase signals in the last 90 days.", 2, CountInWindow((PURCHASE,), 90)),
    FactDef(
        "days_since_last_purchase",
        "int",
        "Days since the latest purchase; null if none.",
        40,
        DaysSinceLatest((PURCHASE,)),
        nullable=True,
        stored_as="last_purchase_at",
    ),
    FactDef(
        "last_survey_score",
        "decimal",
        "Score of the latest survey response on a 0-10 scale (score * 10 / scale, one decimal, half up); null if none.",
        "7.5",
        LatestSurveyScore(),
        nullable=True,
    ),
    FactDef(
        "contacts_7d",
        "int",
        "Outbound contact signals of every team in the last 7 days.",
        3,
        CountInWindow((CONTACT,), 7, direction=Direction.OUT),
    ),
    FactDef(
        "days_since_last_contact",
        "int",
        "Days since the latest outbound contact of any team; null if none.",
        12,
        DaysSinceLatest((CONTACT,), direction=Direction.OUT),
        nullable=True,
        stored_as="last_contact_at",
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


def stored_fields() -> list[tuple[str, models.Field]]:
    """CustomerFacts' column of each cxcore fact, with its model field (new instances each call)."""
    return [(fact.column, fact.fold.field()) for fact in CXCORE_FACTS]
