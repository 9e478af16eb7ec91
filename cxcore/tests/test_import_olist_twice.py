"""import_olist stores each Olist fact once: a second run reports everything as duplicates."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from cxcore.models import Customer, Signal
from cxcore.tests.test_import_olist_mapping import write_olist

pytestmark = pytest.mark.django_db


def run(directory) -> str:
    out = io.StringIO()
    call_command("import_olist", str(directory), stdout=out)
    return " ".join(out.getvalue().split())


def test_importing_twice_stores_nothing_twice(tmp_path):
    first = run(write_olist(tmp_path))
    assert "Customers: 4 (4 created, 0 updated). Orders: 5." in first
    assert "total 14 stored 0 duplicates" in first
    counts = {kind: Signal.objects.filter(kind=kind).count() for kind in Signal.objects.values_list("kind", flat=True)}
    assert counts == {"purchase": 5, "ticket_opened": 3, "ticket_resolved": 2, "survey_response": 3, "complaint": 1}

    second = run(tmp_path)
    assert "Customers: 4 (0 created, 4 updated)." in second
    assert "purchase 0 stored 5 duplicates" in second
    assert "total 0 stored 14 duplicates" in second
    assert Signal.objects.count() == 14
    assert Customer.objects.count() == 4
    assert set(Signal.objects.values_list("source", flat=True)) == {"olist"}


def test_customer_and_its_signals_as_stored(tmp_path):
    run(write_olist(tmp_path))
    p1 = Customer.objects.get(external_id="olist:p1")
    assert (p1.region, p1.segment, p1.timezone, p1.consent) == ("SP", "consumer", "America/Sao_Paulo", {"email": True})
    assert p1.lifetime_value == Decimal("120.75")
    purchases = p1.signals.filter(kind="purchase").order_by("occurred_at")
    assert [p.amount for p in purchases] == [Decimal("120.75"), Decimal("50.00")]
    # 2018-01-02 10:00 in São Paulo summer time is 12:00 UTC.
    assert purchases[0].occurred_at.isoformat() == "2018-01-02T12:00:00+00:00"
    complaint = p1.signals.get(kind="complaint")
    assert complaint.payload["comment"] == "Chegou muito\ndepois do prazo"


def test_missing_files_are_a_clear_error(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="missing olist_customers_dataset.csv.gz"):
        run(tmp_path)
