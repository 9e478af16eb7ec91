"""The SQL back-end filters real rows, in .filter(), Case(When(...)) and .annotate(), with bound values."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import BooleanField, Case, CharField, ExpressionWrapper, F, IntegerField, Value, When

from cxcore.models import Customer
from membrane.expressions import FactSpec, check, compile_sql

FACTS = {
    spec.name: spec
    for spec in (
        FactSpec("segment", "str"),
        FactSpec("lifetime_value", "decimal"),
        FactSpec("days_since_last_purchase", "int"),
        FactSpec("team", "str", frozenset({"service", "sales"})),
    )
}


@pytest.fixture
def customers(db):
    rows = [("a", "smb", "1000.00", 2), ("b", "smb", "999.99", None), ("c", "corp", "5000.00", 10)]
    for external_id, segment, value, _days in rows:
        Customer.objects.create(external_id=external_id, segment=segment, lifetime_value=Decimal(value))
    days = {external_id: d for external_id, _, _, d in rows}
    # days_since_last_purchase as a nullable per-row annotation, like a computed fact.
    return Customer.objects.annotate(
        days=Case(
            *(When(external_id=k, then=Value(v)) for k, v in days.items() if v is not None),
            default=Value(None),
            output_field=IntegerField(),
        )
    )


COLUMNS = {"segment": "segment", "lifetime_value": F("lifetime_value"), "days_since_last_purchase": F("days")}


def matching(queryset, source: str, columns=COLUMNS) -> list[str]:
    predicate = compile_sql(check(source, FACTS), columns)
    return list(queryset.filter(predicate).values_list("external_id", flat=True))


def test_filters_on_model_columns(customers):
    assert matching(customers, 'segment == "smb" and lifetime_value >= 1000') == ["a"]
    assert matching(customers, "lifetime_value in [999.99, 5000]") == ["b", "c"]
    assert matching(customers, 'segment not in ["corp"] or lifetime_value > 4999.5') == ["a", "b", "c"]


def test_null_rules_match_the_python_evaluator(customers):
    assert matching(customers, "days_since_last_purchase > 3") == ["c"]
    assert matching(customers, "not (days_since_last_purchase > 3)") == ["a", "b"]
    assert matching(customers, "days_since_last_purchase != 2") == ["c"]
    assert matching(customers, "not (days_since_last_purchase != 2)") == ["a", "b"]
    assert matching(customers, "not (days_since_last_purchase in [2, 10])") == ["b"]
    assert matching(customers, "days_since_last_purchase not in [2]") == ["c"]
    assert matching(customers, "days_since_last_purchase not in []") == ["a", "c"]
    assert matching(customers, "days_since_last_purchase == null") == ["b"]
    assert matching(customers, "days_since_last_purchase != null") == ["a", "c"]


def test_interaction_context_as_a_value(customers):
    columns = {**COLUMNS, "team": Value("service", output_field=CharField())}
    assert matching(customers, 'team == "service" and segment == "smb"', columns) == ["a", "b"]
    assert matching(customers, 'team in ["sales"] or lifetime_value > 1000', columns) == ["c"]


def test_usable_in_case_when_and_annotate(customers):
    predicate = compile_sql(check('segment == "smb" and not (days_since_last_purchase >= 2)', FACTS), COLUMNS)
    rows = customers.annotate(
        verdict=Case(When(predicate, then=Value("suppress")), default=Value("allow")),
        holds=ExpressionWrapper(predicate, output_field=BooleanField()),
    ).values_list("external_id", "verdict", "holds")
    assert list(rows) == [("a", "allow", False), ("b", "suppress", True), ("c", "allow", False)]


def test_values_are_bound_not_pasted(customers):
    Customer.objects.create(external_id="d", segment="x' OR '1'='1")
    assert matching(customers, "segment == \"x' OR '1'='1\"") == ["d"]
    assert matching(customers, 'segment in ["smb\\"); DROP TABLE cxcore_customer; --"]') == []
    assert Customer.objects.count() == 4


def test_a_fact_without_a_column_is_refused(customers):
    with pytest.raises(ValueError, match="no column given for fact"):
        compile_sql(check("days_since_last_purchase > 1", FACTS), {"segment": "segment"})
