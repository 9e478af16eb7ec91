"""The catalogue: every fact is documented, stored in its own column, and filterable in SQL."""

from __future__ import annotations

import datetime as dt

import pytest

from cxcore.factories import CustomerFactory, SignalFactory
from cxcore.facts import catalogue
from cxcore.facts.catalogue import CXCORE_FACTS, FactDef, register
from cxcore.facts.selectors import fact_expressions, facts_valid_at
from cxcore.facts.set_based import facts_compute_all
from cxcore.facts.sql import DAY_US
from cxcore.models import Customer, CustomerFacts

FIELD_TYPES = {
    "int": "IntegerField",
    "decimal": "DecimalField",
    "bool": "BooleanField",
    "str": "CharField",
}


@pytest.mark.parametrize("fact", CXCORE_FACTS, ids=lambda fact: fact.name)
def test_each_fact_is_documented_and_stored_in_a_column_of_its_type(fact):
    assert fact.description and fact.example is not None
    field = CustomerFacts._meta.get_field(fact.column)
    if not fact.counts_days:
        assert field.get_internal_type() == FIELD_TYPES[fact.type]
        assert field.null == fact.nullable
    else:
        # A day count is stored as the instant it counts from, which a customer always has for tenure.
        assert fact.type == "int" and field.get_internal_type() == "DateTimeField"
        assert field.null == (fact.nullable and not fact.fold.may_start_after_t)


@pytest.mark.django_db
def test_fact_expressions_filter_customers_on_their_stored_facts():
    at = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    in_trouble, calm, _never_computed = CustomerFactory(), CustomerFactory(), CustomerFactory()
    SignalFactory(customer=in_trouble, kind="ticket_opened", ticket_ref="T1", occurred_at=at - dt.timedelta(days=2))
    facts_compute_all(at=at, customer_ids=[in_trouble.pk, calm.pk])
    later = at + dt.timedelta(days=3)
    facts = fact_expressions(at=later)
    found = Customer.objects.filter(facts_valid_at(at=later)).alias(
        open_tickets=facts["open_tickets"], days_open=facts["days_since_oldest_open_ticket"]
    )
    # A day count in SQL is its exact duration in microseconds: opened 5 days before `later`, to the microsecond.
    assert list(found.filter(open_tickets__gt=0, days_open=5 * DAY_US)) == [in_trouble]
    assert list(found.filter(open_tickets=0)) == [calm]


def test_another_app_can_register_facts_but_not_redefine_one(monkeypatch):
    monkeypatch.setattr(catalogue, "_registry", dict(catalogue._registry))
    tier = FactDef("loyalty_tier", "str", "The loyalty programme's tier.", "gold", values=("silver", "gold"))
    register(tier)
    register(tier)
    assert catalogue.all_facts()[-1] == tier
    assert catalogue.get("loyalty_tier") == tier
    with pytest.raises(ValueError, match="already defined"):
        register(FactDef("open_tickets", "decimal", "Something else.", 1))
