"""Facts of one customer as of T, in Python: each fact's fold (catalogue.py) over the customer's signals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from cxcore.models import Customer, Signal

from .catalogue import CXCORE_FACTS
from .folds import SIGNAL_COLUMNS, Summary

FactFn = Callable[[Customer, Summary, dt.datetime], Any]

# Each cxcore fact as a function of (customer, summarise(rows, at=at), at): its fold's.
FACT_PY: dict[str, FactFn] = {fact.name: fact.fold.python for fact in CXCORE_FACTS}


def summarise(rows, *, at: dt.datetime) -> Summary:
    """The signal rows up to `at` (tuples of SIGNAL_COLUMNS, in any order), for the facts' folds to read."""
    return Summary(rows, at=at)


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
    return {name: fn(customer, summary, at) for name, fn in FACT_PY.items()}
