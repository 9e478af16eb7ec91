"""A day count compared with a number reads its stored instant against one bound, and means what it meant.

In SQL `days_since_last_purchase > 3` is `last_purchase_at < T - 3 days` (cxcore.facts.days.DaysSince.compared):
around every boundary (a microsecond either side), for a count that is null (no purchase) or, for tenure_days,
null because it begins after T, for constants far beyond the dates a column holds, and under `not`, the stored
rows read in SQL agree with the same rows counted in Python.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from cxcore.facts.selectors import row_facts
from cxcore.facts.set_based import facts_compute_all
from cxcore.models import Customer, CustomerFacts
from membrane.catalogue import fact_types_for
from membrane.expressions import check, compile_python, compile_sql
from membrane.stored_facts import stored_fact_columns

pytestmark = pytest.mark.django_db

AT = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
DAY, US = dt.timedelta(days=1), dt.timedelta(microseconds=1)
ROWS = 6
CONSTANTS = ("0", "3", "2.5", "1000000")
OPS = ("<", "<=", ">", ">=", "==", "!=")
# Each instant a microsecond either side of where a constant's comparison turns, or exactly on it.
NEAR = [AT - days * DAY + jitter * US for days in (0, 2.5, 3, 4) for jitter in (-1, 0, 1)]
# A purchase is never after T in a row valid at T (its signal came before the row's as_of).
PAST = [instant for instant in NEAR if instant <= AT]


def _conditions(fact: str) -> list[str]:
    compared = [f"{fact} {op} {n}" for op in OPS for n in CONSTANTS if not (op in ("==", "!=") and "." in n)]
    return [*compared, f"{fact} in [2, 3]", f"not ({fact} > 3)", f"{fact} == null", f"{fact} != null"]


CONDITIONS = [*_conditions("days_since_last_purchase"), *_conditions("tenure_days")]


def test_day_counts_compared_on_their_instants_agree_with_python():
    pks = [Customer.objects.create(external_id=f"instants-{i}").pk for i in range(ROWS)]
    facts_compute_all(at=AT, customer_ids=pks)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        condition=st.sampled_from(CONDITIONS),
        purchases=st.lists(st.one_of(st.none(), st.sampled_from(PAST)), min_size=ROWS, max_size=ROWS),
        # A tenure that begins after T too: tenure_days is null then.
        starts=st.lists(st.sampled_from([*NEAR, AT + US, AT + DAY]), min_size=ROWS, max_size=ROWS),
    )
    def agree(condition, purchases, starts):
        note(f"{condition}: purchases {purchases}, starts {starts}")
        for pk, purchase, start in zip(pks, purchases, starts, strict=True):
            CustomerFacts.objects.filter(pk=pk).update(last_purchase_at=purchase, tenure_start=start)
        checked = check(condition, fact_types_for("audience"))
        holds = compile_python(checked)
        rows = CustomerFacts.objects.filter(pk__in=pks)
        expected = {row.pk for row in rows if holds(row_facts(row, at=AT))}
        in_sql = rows.filter(compile_sql(checked, stored_fact_columns(at=AT)))
        assert set(in_sql.values_list("pk", flat=True)) == expected

    agree()


def test_a_bound_beyond_the_dates_a_column_holds_compares_the_count():
    """A million days before T is before year 1: the bound cannot be an instant, the count is compared."""
    customer = Customer.objects.create(external_id="far")
    facts_compute_all(at=AT, customer_ids=[customer.pk])
    CustomerFacts.objects.filter(pk=customer.pk).update(last_purchase_at=AT - 3 * DAY)
    columns = stored_fact_columns(at=AT)
    for condition, expected in [
        ("days_since_last_purchase < 1000000", True),
        ("days_since_last_purchase >= 1000000", False),
        (f"days_since_last_purchase > {Decimal('2.999999')}", True),
    ]:
        checked = check(condition, fact_types_for("audience"))
        assert CustomerFacts.objects.filter(compile_sql(checked, columns), pk=customer.pk).exists() is expected
