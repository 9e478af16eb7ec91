"""Reads of the stored facts (CustomerFacts), for set-based work in the ORM and for the pages."""

from __future__ import annotations

import datetime as dt

from django.db.models import F, Q

from cxcore.models import CustomerFacts

from .catalogue import CXCORE_FACTS
from .days import DayCount, DaysSince, epoch_us


def fact_expressions(*, at: dt.datetime, prefix: str = "facts__") -> dict:
    """Each cxcore fact at `at` as an ORM expression over the stored row reached through `prefix`.

    From Customer the prefix is "facts__"; pass prefix="" on a CustomerFacts queryset. The row must
    give the facts at `at` (`facts_valid_at`, after `set_based.facts_refresh(at=at)`).
    """
    expressions = {}
    for fact in CXCORE_FACTS:
        column = f"{prefix}{fact.column}"
        if not fact.counts_days:
            expressions[fact.name] = F(column)
        else:
            expressions[fact.name] = DaysSince(F(column), at=at, null_after_at=fact.fold.may_start_after_t)
    return expressions


def facts_valid_at(*, at: dt.datetime, prefix: str = "facts__") -> Q:
    """The stored rows that give the facts at `at` (as set_based.facts_valid_sql; newer signals aside)."""
    return Q(**{f"{prefix}as_of__lte": at}) & (
        Q(**{f"{prefix}valid_until_us__isnull": True}) | Q(**{f"{prefix}valid_until_us__gt": epoch_us(at)})
    )


def stored_facts_at(*, at: dt.datetime, customer_ids=None) -> dict[int, dict]:
    """customer id -> the cxcore facts at `at` read from the stored rows that give them (others left out)."""
    expressions = fact_expressions(at=at, prefix="")
    fields = {field.name for field in CustomerFacts._meta.concrete_fields}
    rows = CustomerFacts.objects.filter(facts_valid_at(at=at, prefix=""))
    if customer_ids is not None:
        rows = rows.filter(customer_id__in=customer_ids)
    values = rows.values(
        "customer_id",
        *(name for name in expressions if name in fields),
        **{name: expression for name, expression in expressions.items() if name not in fields},
    )
    # A day count comes as its microseconds (DaysSince): it reads as the DayCount Python counts.
    days = {fact.name for fact in CXCORE_FACTS if fact.counts_days}
    return {
        row.pop("customer_id"): {
            fact.name: DayCount(row[fact.name]) if fact.name in days and row[fact.name] is not None else row[fact.name]
            for fact in CXCORE_FACTS
        }
        for row in values
    }


def row_facts(row, *, at: dt.datetime) -> dict:
    """The cxcore facts at `at` of one stored CustomerFacts row, counted in Python as fact_expressions does in SQL."""
    return {fact.name: fact.read(getattr(row, fact.column), at) for fact in CXCORE_FACTS}
