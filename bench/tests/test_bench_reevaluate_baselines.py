"""The GROUP BYs that `bench reevaluate` measures a full run against compute every aggregate they name
(PostgreSQL drops those of a subquery nothing reads, which would time a bare count of groups)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from bench.reevaluate import BASELINE_SQL, TABLE_BASELINE_SQL
from cxcore.factories import CustomerFactory, SignalFactory

pytestmark = pytest.mark.django_db

LATEST = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def _answer(sql: str) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()


def test_the_baselines_answer_with_every_aggregate():
    first, second = CustomerFactory(), CustomerFactory()
    SignalFactory(customer=first, kind="purchase", amount=Decimal("12.50"), occurred_at=LATEST - dt.timedelta(days=3))
    SignalFactory(customer=first, kind="purchase", amount=Decimal("7.25"), occurred_at=LATEST)
    SignalFactory(customer=second, kind="complaint", amount=None, occurred_at=LATEST - dt.timedelta(days=1))

    customers, signals, latest = _answer(BASELINE_SQL)
    assert (customers, signals) == (2, 3)
    table = _answer(TABLE_BASELINE_SQL)
    assert table[:2] == (2, 3)
    assert Decimal(str(table[3])) == Decimal("19.75")
    if connection.vendor == "postgresql":
        assert latest == LATEST == table[2]
