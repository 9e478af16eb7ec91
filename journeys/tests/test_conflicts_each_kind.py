"""Each kind of conflict is found, with the customers a decision customer by customer would count."""

from __future__ import annotations

import pytest
import time_machine
from django.db import transaction

from cxcore.models import Customer
from journeys.conflicts import conflicts_find, team_heatmap
from journeys.preview_store import preview_request
from membrane.decisions.facts import customer_row
from membrane.decisions.services import decision_evaluate
from membrane.decisions.values import DecisionInputs, Interaction
from membrane.principles.conditions import condition_compile
from membrane.tests.principles_support import draft, publish
from membrane.tests.stage_helpers import DAY, NOW

from .conflicts_support import campaign, population


@pytest.fixture
def customers(db):
    population(size=30)
    # Consent for email: the principles, not the missing consent, decide who is suppressed.
    Customer.objects.update(consent={"email": True})


def each_customer(expression: str) -> set[int]:
    """The customers whose facts at NOW, as a decision reads them, the expression holds for."""
    predicate = condition_compile(expression).predicate
    with transaction.atomic():
        ids = {c.pk for c in Customer.objects.all() if predicate(customer_row(inputs=DecisionInputs(c), at=NOW)[0])}
        transaction.set_rollback(True)
    return ids


def of_kind(kind: str) -> list:
    return [c for c in conflicts_find(at=NOW) if c.kind == kind]


def test_overlapping_windows_and_audiences(customers):
    devices = campaign("Hardware", team="marketing_devices", category="service_update", start_day=1, days=10)
    services = campaign("Services", team="marketing_services", category="service_update", start_day=5, days=10)
    campaign("Later", team="research", category="service_update", start_day=15, days=3, channel="sms")
    found = of_kind("overlap")
    everyone = len(each_customer("true"))
    assert [(c.campaigns, c.customers) for c in found] == [((devices, services), everyone)]
    conflict = found[0]
    assert conflict.same_channel and conflict.severity == "high"
    assert (conflict.starts_at, conflict.ends_at) == (services.starts_at, devices.ends_at)
    assert conflict.teams == ["marketing_devices", "marketing_services"]
    heat = team_heatmap(found, ["marketing_devices", "marketing_services", "research"])
    assert heat == [[0, everyone, 0], [everyone, 0, 0], [0, 0, 0]]


def test_overlap_counts_only_the_shared_customers(customers):
    crisis = campaign("Crisis", category="service_update", audience='stage == "crisis"')
    tickets = campaign("Tickets", category="service_update", audience="open_tickets > 0", channel="sms")
    shared = each_customer('stage == "crisis"') & each_customer("open_tickets > 0")
    found = of_kind("overlap")
    if not shared:
        assert found == []
        return
    assert [(c.campaigns, c.customers, c.same_channel) for c in found] == [((crisis, tickets), len(shared), False)]


def test_suppressed_audience_counts_what_decisions_suppress(customers):
    offer = campaign("Offer", category="marketing", audience="true", start_day=0)
    interaction = Interaction(team="marketing_devices", category="marketing", channel="email")
    with transaction.atomic():
        expected = sum(
            decision_evaluate(inputs=DecisionInputs(c), interaction=interaction, at=NOW).verdict.verdict == "suppress"
            for c in Customer.objects.all()
        )
        transaction.set_rollback(True)
    assert expected > 0
    found = of_kind("suppressed_audience")
    assert [(c.campaigns, c.customers) for c in found] == [((offer,), expected)]


def test_without_consent_the_whole_audience_is_suppressed(customers):
    Customer.objects.update(consent={})
    offer = campaign("Offer", category="survey", channel="sms", audience="true", start_day=0)
    assert [(c.campaigns, c.customers) for c in of_kind("suppressed_audience")] == [
        ((offer,), len(each_customer("true")))
    ]


@pytest.fixture
def ticket_cap(customers, cx_manager, service_manager):
    """A published cap: at most one service update a month to a customer with an open ticket."""
    version = draft(
        cx_manager,
        title="One update a month while a ticket is open",
        categories=["service_update"],
        condition="open_tickets > 0",
        effect="cap",
        params={"n": 1, "days": 30},
        priority=50,
        examples=[],
    )
    publish(version, author=cx_manager, reviewer=service_manager)
    return version


def test_combined_touches_above_a_cap(ticket_cap):
    with_ticket = each_customer("open_tickets > 0")
    assert with_ticket
    first = campaign("Update A", category="service_update", start_day=0, days=5)
    second = campaign("Update B", team="marketing_services", category="service_update", start_day=20, days=5)
    campaign("Update far later", category="service_update", start_day=60, days=5)
    campaign("Other category", category="marketing", start_day=0, days=5)
    found = of_kind("over_cap")
    assert [(c.campaigns, c.customers) for c in found] == [((first, second), len(with_ticket))]
    assert found[0].cap.slug == ticket_cap.principle.slug
    assert (found[0].starts_at, found[0].ends_at) == (first.starts_at, first.starts_at + 30 * DAY)


def test_one_campaign_with_more_touches_than_the_cap(ticket_cap):
    twice = campaign("Update twice", category="service_update", start_day=0, days=10, touches=2)
    # Two touches over 90 days: under one in any 30 days.
    campaign("Update slowly", category="service_update", start_day=100, days=90, touches=2)
    found = of_kind("over_cap")
    assert [(c.campaigns, c.customers) for c in found] == [((twice,), len(each_customer("open_tickets > 0")))]


def test_no_scheduled_campaigns_no_conflicts(customers):
    campaign("Draft", status="draft")
    campaign("Other draft", status="draft")
    assert conflicts_find(at=NOW) == []


def test_a_kept_preview_and_the_pass_count_the_same_suppressed_customers(customers):
    offer = campaign("Offer", category="marketing", audience="true", start_day=0)
    counted = of_kind("suppressed_audience")[0].customers
    with time_machine.travel(NOW, tick=False):
        preview = preview_request(campaign=offer)
        assert preview.status == "ready"
        assert preview.result["suppressed"] == counted
        # Without a time of its own the board takes the kept preview's count (the page it links to).
        Customer.objects.update(consent={})
        board = [c for c in conflicts_find() if c.kind == "suppressed_audience"]
    assert [(c.campaigns, c.customers) for c in board] == [((offer,), counted)]
