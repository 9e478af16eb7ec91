"""The Python evaluator: precedence, numbers, and the null rules of docs/expressions.md."""

from __future__ import annotations

from decimal import Decimal

import pytest

from membrane.expressions import FactSpec, check, compile_python

FACTS = {
    spec.name: spec
    for spec in (
        FactSpec("stage", "str", frozenset({"crisis", "at_risk", "active"})),
        FactSpec("open_tickets", "int"),
        FactSpec("days_since_last_purchase", "int"),
        FactSpec("lifetime_value", "decimal"),
        FactSpec("eta_given", "bool"),
    )
}


def holds(source: str, **facts) -> bool:
    return compile_python(check(source, FACTS))(facts)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("days_since_last_purchase > 3", False),
        ("days_since_last_purchase <= 3", False),
        ("days_since_last_purchase == 3", False),
        ("days_since_last_purchase != 3", False),
        ("days_since_last_purchase in [1, 2]", False),
        ("days_since_last_purchase not in [1, 2]", False),
        ("days_since_last_purchase not in []", False),
        ("days_since_last_purchase == open_tickets", False),
        ("days_since_last_purchase == null", True),
        ("days_since_last_purchase != null", False),
        ("null == days_since_last_purchase", True),
        ("not (days_since_last_purchase > 3)", True),
        ("not (days_since_last_purchase <= 3)", True),
        ("not (days_since_last_purchase > 3) and not (days_since_last_purchase <= 3)", True),
    ],
)
def test_a_comparison_with_null_is_false(source, expected):
    assert holds(source, days_since_last_purchase=None, open_tickets=None) is expected


def test_a_missing_fact_counts_as_null():
    assert holds("days_since_last_purchase == null") is True
    assert holds("days_since_last_purchase > 0") is False


@pytest.mark.parametrize(("value", "bare", "negated"), [(True, True, False), (False, False, True), (None, False, True)])
def test_a_bare_bool_fact_treats_null_as_false(value, bare, negated):
    assert holds("eta_given", eta_given=value) is bare
    assert holds("not eta_given", eta_given=value) is negated


def test_eta_given_compared_with_false_is_still_false_for_null():
    assert holds("eta_given == false", eta_given=None) is False
    assert holds("eta_given == false", eta_given=False) is True


def test_precedence_not_and_or():
    facts = {"open_tickets": 0, "eta_given": True, "stage": "active"}
    # (not eta_given) or (open_tickets == 0 and stage == "active")
    assert holds('not eta_given or open_tickets == 0 and stage == "active"', **facts) is True
    assert holds('not (eta_given or open_tickets == 0) and stage == "active"', **facts) is False


def test_int_and_decimal_compare_exactly():
    assert holds("lifetime_value == 1000", lifetime_value=Decimal("1000.00")) is True
    assert holds("lifetime_value >= 999.99", lifetime_value=Decimal("999.98")) is False
    assert holds("open_tickets < 2.5 and open_tickets in [2.0, 7]", open_tickets=2) is True


def test_strings_match_exactly():
    assert holds('stage in ["crisis", "at_risk"]', stage="at_risk") is True
    assert holds('stage == "crisis"', stage="Crisis") is False


def test_the_design_examples():
    facts = {"stage": "crisis", "open_tickets": 2, "eta_given": False, "lifetime_value": Decimal("1500")}
    assert holds('stage == "crisis" and open_tickets > 0', **facts) is True
    assert holds('stage in ["crisis", "at_risk"] and not eta_given', **facts) is True
    assert holds("lifetime_value >= 1000 and open_tickets < 2", **facts) is False


def test_long_chains_evaluate_every_clause():
    source = " and ".join(f"open_tickets != {i}" for i in range(50))
    assert holds(source, open_tickets=50) is True
    assert holds(source, open_tickets=37) is False
    assert holds(" or ".join(f"open_tickets == {i}" for i in range(50)), open_tickets=37) is True


def test_literal_conditions():
    assert holds("true") is True
    assert holds("not true or 1 > 2") is False
    assert holds("null == null and 2 in [1, 2] and 3 not in []") is True
