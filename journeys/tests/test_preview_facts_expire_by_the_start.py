"""A count that leaves its window before the campaign starts no longer holds in the preview, as it no longer
holds for the decision API then; the stored facts rows the other readers share are left as the run wrote them."""

from __future__ import annotations

import datetime as dt

import time_machine

from cxcore.models import Category, Channel, CustomerFacts, Team
from journeys.models import Campaign
from journeys.preview import preview_compute, preview_members
from membrane.runs.services import stages_evaluate_all, stages_evaluate_changed
from membrane.tests.principles_support import draft, publish
from membrane.tests.stage_helpers import DAY, NOW, ingest


def _campaign(starts_at: dt.datetime) -> Campaign:
    return Campaign.objects.create(
        name="Spring offer",
        team=Team.objects.get(key="marketing_devices"),
        category=Category.objects.get(key="service_update"),
        channel=Channel.objects.get(key="email"),
        audience="true",
        starts_at=starts_at,
        ends_at=starts_at + 3 * DAY,
    )


def test_a_complaint_leaving_its_window_before_the_start_no_longer_suppresses(db, cx_manager, service_manager):
    with time_machine.travel(NOW, tick=False):
        ingest("c-1", "account_created", NOW - 400 * DAY)
        ingest("c-1", "complaint", NOW - 25 * DAY)
        ingest("c-2", "account_created", NOW - 400 * DAY)
        stages_evaluate_changed(at=NOW)
        stages_evaluate_all(as_of=NOW, chunk_size=5)
        principle = draft(
            cx_manager,
            title="No updates after a complaint",
            categories=["service_update"],
            condition="complaints_30d > 0",
            examples=[],
        )
        publish(principle, author=cx_manager, reviewer=service_manager)
    stored = list(CustomerFacts.objects.order_by("pk").values_list("pk", "as_of", "complaints_30d"))

    soon, later = _campaign(NOW + DAY), _campaign(NOW + 10 * DAY)

    assert {m["customer"]: m["verdict"] for m in preview_members(campaign=soon)} == {"c-1": "suppress", "c-2": "allow"}
    assert {m["customer"]: m["verdict"] for m in preview_members(campaign=later)} == {"c-1": "allow", "c-2": "allow"}
    assert preview_compute(campaign=soon)["facts_computed_at_start"] is False
    assert preview_compute(campaign=later)["facts_computed_at_start"] is True
    assert list(CustomerFacts.objects.order_by("pk").values_list("pk", "as_of", "complaints_30d")) == stored
