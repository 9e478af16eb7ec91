"""The keys the database does not check (db_constraint=False, docs/integrity.md) hold all the same: after the ingest
(changes queued, customers created), a full run, the incremental run and decisions, every row of every table with
such a key names a row that exists; a deleted customer takes their rows along through the ORM."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from bench.foreign_keys import UncheckedKey, unchecked_keys
from cxcore.ingest import signals_ingest
from cxcore.models import Customer
from membrane.decisions.selectors import decision_inputs_read
from membrane.decisions.services import decision_make
from membrane.decisions.values import Interaction
from membrane.runs.services import stages_evaluate_all, stages_evaluate_changed

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def _orphans(key: UncheckedKey) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT count(*) FROM "{key.table}" t WHERE t."{key.column}" IS NOT NULL AND NOT EXISTS'
            f' (SELECT 1 FROM "{key.target_table}" r WHERE r."{key.target_column}" = t."{key.column}")'
        )
        return cursor.fetchone()[0]


def _rows(key: UncheckedKey) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{key.table}" WHERE "{key.column}" IS NOT NULL')
        return cursor.fetchone()[0]


def _tied(key: UncheckedKey, pk: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{key.table}" WHERE "{key.column}" = %s', [pk])
        return cursor.fetchone()[0]


def _history(customer: str, now: dt.datetime) -> list[dict]:
    return [
        {"customer": customer, "kind": "ticket_opened", "occurred_at": (now - 5 * DAY).isoformat(), "ticket_ref": "T1",
         "issue_key": "terminal", "severity": "high"},
        {"customer": customer, "kind": "purchase", "occurred_at": (now - 3 * DAY).isoformat(), "amount": "20.00"},
        {"customer": customer, "kind": "complaint", "occurred_at": (now - DAY).isoformat()},
    ]  # fmt: skip


def test_every_unchecked_key_names_an_existing_row_and_deletion_takes_the_rows_along():
    now = timezone.now()
    for customer in ("kept", "gone"):
        signals_ingest(items=_history(customer, now), source="test")
    stages_evaluate_all(as_of=now - DAY / 2)
    signals_ingest(items=[{"customer": "gone", "kind": "app_login", "occurred_at": now.isoformat()}], source="test")
    stages_evaluate_changed(at=now)
    for customer in ("kept", "gone"):
        decision_make(
            inputs=decision_inputs_read(external_id=customer),
            interaction=Interaction("sales", "upsell", "email"),
            asked_by="test",
        )
    keys = unchecked_keys()
    written = {str(key): _rows(key) for key in keys}
    assert written["cxcore_signal.customer_id -> cxcore_customer.id"] == 7
    assert written["membrane_stagetransition.customer_id -> cxcore_customer.id"] >= 2
    assert {str(key): _orphans(key) for key in keys} == {str(key): 0 for key in keys}

    # A customer the decision log does not cite (it PROTECTs those it does) can be deleted: every row an
    # unchecked key ties to them goes with them.
    signals_ingest(items=_history("fresh", now), source="test")
    stages_evaluate_all(as_of=now + DAY)
    fresh = Customer.objects.get(external_id="fresh")
    tied = {str(key): _tied(key, fresh.pk) for key in keys if key.target_table == "cxcore_customer"}
    for table in ("cxcore_signal", "cxcore_customerfacts", "membrane_customerstage", "membrane_stagetransition"):
        assert tied[f"{table}.customer_id -> cxcore_customer.id"], table
    fresh.delete()

    assert {str(key): _orphans(key) for key in keys} == {str(key): 0 for key in keys}
