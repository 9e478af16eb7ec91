"""The 360° view carries the stage brought up to its time, and the facts, without a scheduled run."""

from __future__ import annotations

from cxcore.models import Customer
from cxcore.selectors import customer_360

from .stage_helpers import DAY, NOW, ingest, ticket


def test_the_360_view_brings_the_stage_up_to_its_time(db):
    ingest("m1", "purchase", NOW - 40 * DAY, amount="99.00")
    ticket("m1", "T1", NOW - 5 * DAY)
    customer = Customer.objects.get(external_id="m1")

    view = customer_360(customer=customer, at=NOW)

    assert view["stage"] == {"stage": "crisis", "since": NOW - 5 * DAY, "previous_stage": "active", "days_in_stage": 5}
    assert view["facts"]["open_tickets"] == 1
    assert view["facts"]["days_in_stage"] == 5

    earlier = customer_360(customer=customer, at=NOW - 10 * DAY)
    assert earlier["stage"]["stage"] == "active"
