"""A campaign with a list reaches the listed customers its expression holds for, in every reader: the preview
and its CSV rows, the memberships arbitration reads, the conflicts' overlaps and the 360 view's campaigns,
against each customer's facts as a decision reads them (random lists, expressions and starts)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxcore.models import Customer
from journeys import services
from journeys.conflicts import conflicts_find
from journeys.customer_campaigns import customer_campaigns
from journeys.memberships import memberships_of
from journeys.models import Campaign, CampaignStatus
from journeys.preview import preview_compute, preview_members
from membrane.runs.services import stages_evaluate_all
from membrane.tests.stage_helpers import NOW
from membrane.tests.test_actions_set_based_agreement import random_customer

from .test_campaign_audience_count_agrees import AUDIENCES, each_customer

CUSTOMERS = [f"li-{n}" for n in range(24)]


@pytest.fixture
def population(db):
    rng = random.Random(17)
    with time_machine.travel(NOW, tick=False):
        for external_id in CUSTOMERS:
            random_customer(rng, external_id)
        stages_evaluate_all(as_of=NOW, chunk_size=10)


def _campaign(marketer, *, audience: str, listed: list[str] | None, starts_at: dt.datetime, name: str) -> Campaign:
    values = {
        "name": name,
        "category": "upsell",
        "channel": "email",
        "audience": audience,
        "starts_at": starts_at,
        "ends_at": starts_at + dt.timedelta(days=5),
        "status": CampaignStatus.SCHEDULED,
    }
    if listed is not None:
        values["audience_list"] = listed
    made = services.campaign_create(actor=marketer, values=values)
    return Campaign.objects.select_related("team", "category", "channel").get(pk=made.pk)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    listed=st.lists(st.sampled_from(CUSTOMERS), min_size=1, max_size=len(CUSTOMERS), unique=True),
    expression=st.sampled_from(AUDIENCES),
    other=st.sampled_from(AUDIENCES),
    hours=st.integers(min_value=0, max_value=47),
)
def test_every_reader_sees_the_list_and_the_expression(population, marketer, listed, expression, other, hours):
    starts_at = NOW + dt.timedelta(hours=hours)
    by_external = dict(Customer.objects.values_list("external_id", "pk"))
    listed_pks = {by_external[e] for e in listed}
    expected = each_customer(expression, starts_at) & listed_pks
    others = each_customer(other, starts_at)
    with time_machine.travel(NOW, tick=False), transaction.atomic():
        campaign = _campaign(marketer, audience=expression, listed=listed, starts_at=starts_at, name="Listed")
        rival = _campaign(marketer, audience=other, listed=None, starts_at=starts_at, name="Rival")
        members = {by_external[m["customer"]] for m in preview_members(campaign=campaign)}
        summary = preview_compute(campaign=campaign)
        held = memberships_of(campaigns=[campaign, rival], at=starts_at)
        overlaps = [c for c in conflicts_find(campaigns=[campaign, rival], at=starts_at) if c.kind == "overlap"]
        transaction.set_rollback(True)
    assert members == expected
    assert summary["audience"] == len(expected)
    assert {pk for pk, campaigns in held.items() if campaign.pk in campaigns} == expected
    assert sum(c.customers for c in overlaps) == len(expected & others)


def test_the_360_view_lists_a_list_campaign_only_for_its_listed_customers(population, marketer):
    inside, outside = (Customer.objects.get(external_id=e) for e in CUSTOMERS[:2])
    with time_machine.travel(NOW, tick=False):
        campaign = _campaign(
            marketer, audience="", listed=[inside.external_id], starts_at=NOW + dt.timedelta(hours=2), name="Few"
        )
        assert campaign.audience == "true"
        assert [c["id"] for c in customer_campaigns(customer=inside, at=NOW)] == [campaign.pk]
        assert customer_campaigns(customer=outside, at=NOW) == []
