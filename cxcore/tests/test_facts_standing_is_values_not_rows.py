"""A checkpoint's standing holds the facts' values, not the rows they fold: a customer with hundreds of open
tickets stores (and a decision reads back) a few values, which give the facts of the whole history until a
windowed count expires; a standing stored in another format is not read."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

from cxcore.facts.checkpoint import checkpoint_fold
from cxcore.facts.per_customer import facts_for_customer
from cxcore.facts.standing import standing_dump, standing_facts, standing_load, standing_of

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def test_hundreds_of_open_tickets_stand_as_a_few_values():
    customer = SimpleNamespace(created_at=T0, segment="smb", region="", lifetime_value=Decimal(0))
    rows = []
    for i in range(300):
        at = T0 + i * DAY
        rows.append(("ticket_opened", "in", at, f"T{i}", "wifi", "high" if i % 7 == 0 else "", None, None))
        rows.append(("survey_response", "in", at, "", "", "", Decimal(i % 11), 10))
    s = rows[-1][2]
    checkpoint = checkpoint_fold(rows, at=s)
    assert len(checkpoint.rows) > 300  # every open ticket's opening, among others
    standing = standing_load(standing_dump(standing_of(checkpoint)), as_of=s)
    assert len(standing.rows) <= 1  # the first signal, for the tenure
    for later in (dt.timedelta(0), dt.timedelta(hours=5), 3 * DAY + dt.timedelta(microseconds=1)):
        at = s + later
        if standing.holds(at):
            assert standing_facts(customer=customer, standing=standing, at=at) == facts_for_customer(
                customer=customer, at=at, rows=rows
            )
    assert standing.holds(s)


def test_a_standing_of_another_format_is_not_read():
    # The format before values: every fact's rows.
    assert standing_load({"rows": [], "counts": {}, "until": None}, as_of=T0) is None
