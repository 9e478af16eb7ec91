"""`--foreign-keys checked` makes the database refuse what the unchecked keys let through, only while a benchmark
measures, and leaves the schema as it was."""

from __future__ import annotations

import pytest
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from bench.foreign_keys import ForeignKeysChecked, unchecked_keys
from cxcore.models import Signal

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

MISSING_CUSTOMER = 987_654_321


def _orphan_signal(key: str) -> None:
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        # Checked now rather than at the commit (the keys are deferred, as Django's are): the test's own
        # transaction never commits.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        Signal.objects.create(
            customer_id=MISSING_CUSTOMER,
            kind="purchase",
            occurred_at=now,
            received_at=now,
            source="t",
            idempotency_key=key,
        )


def _constraints() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT conname FROM pg_constraint WHERE contype = 'f'")
        return {name for (name,) in cursor.fetchall()}


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("the benchmarks measure PostgreSQL")


def test_the_signal_of_an_unknown_customer_is_refused_only_while_checked():
    before = _constraints()
    assert any(str(key).startswith("cxcore_signal.customer_id") for key in unchecked_keys())

    with ForeignKeysChecked("cxcore_signal.customer_id"), pytest.raises(IntegrityError):
        _orphan_signal("inside")

    assert _constraints() == before
    _orphan_signal("after")  # the schema's own behaviour again: the database does not check it
    assert Signal.objects.filter(customer_id=MISSING_CUSTOMER).count() == 1


def test_the_schema_setting_adds_nothing():
    before = _constraints()
    with ForeignKeysChecked("schema"):
        assert _constraints() == before


def test_checked_adds_every_unchecked_key_and_a_wrong_name_is_refused():
    before = _constraints()
    with ForeignKeysChecked("checked") as keys:
        assert len(_constraints() - before) == len(unchecked_keys()) == len(keys.keys)
    with pytest.raises(CommandError, match="cxcore_signal.customer_id"):
        ForeignKeysChecked("cxcore_signal.nope")
    assert _constraints() == before
