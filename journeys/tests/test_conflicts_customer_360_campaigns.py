"""The customer page and the 360° view list the scheduled campaigns that target the customer, and whether each
will reach them, and why not: the decision at the campaign's start, then arbitration among the campaigns it
allows (a campaign keeps only the customers it will reach)."""

from __future__ import annotations

import pytest
import time_machine

from cxcore.models import Customer
from cxcore.selectors import customer_360
from membrane.decisions.services import decision_evaluate
from membrane.decisions.values import DecisionInputs, Interaction
from membrane.tests.stage_helpers import NOW

from .conflicts_support import campaign, population


@pytest.fixture
def plans(db):
    population(size=12)
    Customer.objects.update(consent={"email": True})
    with time_machine.travel(NOW, tick=False):
        offer = campaign("Offer", team="marketing_devices", category="marketing", start_day=1, priority=5)
        update = campaign("Update", team="marketing_services", category="service_update", start_day=3, priority=1)
        survey = campaign("Survey", team="research", category="survey", channel="sms", start_day=20)
        campaign("Over", category="service_update", start_day=-30, days=5)  # ended
        campaign("Crisis only", category="service_update", audience='stage == "crisis"', start_day=30, status="draft")
        yield offer, update, survey


def verdict(customer: Customer, c) -> str:
    interaction = Interaction(team=c.team.key, category=c.category.key, channel=c.channel.key)
    return decision_evaluate(inputs=DecisionInputs(customer), interaction=interaction, at=c.starts_at).verdict


def test_each_targeting_campaign_says_whether_it_reaches_the_customer_and_why_not(plans):
    offer, update, survey = plans
    reached, update_reached = set(), set()
    for customer in Customer.objects.all():
        entries = customer_360(customer=customer, at=NOW)["campaigns"]
        assert [e["name"] for e in entries] == ["Offer", "Update", "Survey"]
        by_name = {e["name"]: e for e in entries}
        # The overlapping update of lower priority loses the customer to the offer where the offer reaches them;
        # elsewhere it is what the decision at its own start says.
        if verdict(customer, offer).verdict == "allow":
            assert by_name["Update"]["reaches"] is False
            assert "'Offer' of marketing_devices keeps the customer" in by_name["Update"]["why"]
        else:
            expected = verdict(customer, update)
            assert by_name["Update"]["reaches"] is (expected.verdict == "allow")
            assert by_name["Update"]["why"] == expected.reason
        update_reached.add(by_name["Update"]["reaches"])
        # The survey on sms: no consent.
        assert by_name["Survey"]["reaches"] is False
        assert "not consented to sms" in by_name["Survey"]["why"]
        # The offer: what the decision at its start says.
        expected = verdict(customer, offer)
        assert by_name["Offer"]["reaches"] is (expected.verdict == "allow")
        assert by_name["Offer"]["why"] == expected.reason
        reached.add(by_name["Offer"]["reaches"])
    assert reached == {True, False}  # some in crisis, some not
    assert True in update_reached  # the offer does not take the customers it will not contact


def test_the_customer_page_shows_the_section(plans, client, agent):
    customer = Customer.objects.order_by("pk").first()
    client.force_login(agent)
    with time_machine.travel(NOW, tick=False):
        html = client.get(f"/customers/{customer.external_id}/").content.decode()
    assert "Planned campaigns" in html
    assert html.count('data-testid="customer-campaign-') == 3
    assert "keeps the customer in these days" in html


def test_a_customer_no_campaign_targets(db, client, agent):
    population(size=2)
    customer = Customer.objects.order_by("pk").first()
    client.force_login(agent)
    html = client.get(f"/customers/{customer.external_id}/").content.decode()
    assert "No scheduled campaign targets this customer." in html
