"""Reads of the stored facts (CustomerFacts), for set-based work in the ORM and for the pages."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, F, Q, Value, When

from .catalogue import CXCORE_FACTS
from .days import DaysSince, epoch_us
from .set_based import DAY_FACT_ANCHORS


def fact_expressions(*, at: dt.datetime, prefix: str = "facts__") -> dict:
    """Each cxcore fact at `at` as an ORM expression over the stored row reached through `prefix`.

    From Customer the prefix is "facts__"; pass prefix="" on a CustomerFacts queryset. The row must
    give the facts at `at` (`facts_valid_at`, after `set_based.facts_refresh(at=at)`).
    """
    expressions = {}
    for fact in CXCORE_FACTS:
        anchor = DAY_FACT_ANCHORS.get(fact.name)
        if anchor is None:
            expressions[fact.name] = F(f"{prefix}{fact.name}")
        elif fact.name == "tenure_days":
            days = DaysSince(F(f"{prefix}{anchor}"), at=at)
            expressions[fact.name] = Case(When(**{f"{prefix}{anchor}__gt": at}, then=Value(None)), default=days)
        else:
            expressions[fact.name] = DaysSince(F(f"{prefix}{anchor}"), at=at)
    return expressions


def facts_valid_at(*, at: dt.datetime, prefix: str = "facts__") -> Q:
    """The stored rows that give the facts at `at` (as set_based.facts_valid_sql; newer signals aside)."""
    return Q(**{f"{prefix}as_of__lte": at}) & (
        Q(**{f"{prefix}valid_until_us__isnull": True}) | Q(**{f"{prefix}valid_until_us__gt": epoch_us(at)})
    )


def stored_facts_at(*, at: dt.datetime, customer_ids=None) -> dict[int, dict]:
    """customer id -> the cxcore facts at `at` read from the stored rows that give them (others left out)."""
    from cxcore.models import CustomerFacts

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
    return {row.pop("customer_id"): {fact.name: row[fact.name] for fact in CXCORE_FACTS} for row in values}


def row_facts(row, *, at: dt.datetime) -> dict:
    """The cxcore facts at `at` of one stored CustomerFacts row, counted in Python as fact_expressions does in SQL."""
    facts = {}
    for fact in CXCORE_FACTS:
        anchor = DAY_FACT_ANCHORS.get(fact.name)
        if anchor is None:
            facts[fact.name] = getattr(row, fact.name)
            continue
        since = getattr(row, anchor)
        facts[fact.name] = None if since is None or since > at else (at - since) // dt.timedelta(days=1)
    return facts
