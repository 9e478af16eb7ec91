"""The demo tells DESIGN.md's reference story: the merchant whose card terminal keeps losing its connection."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from cxcore.facts.per_customer import facts_for_customer
from cxcore.models import Customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("load_demo", "--customers", "30", stdout=io.StringIO())


def test_merchant_42_is_in_the_middle_of_a_recurring_terminal_problem(demo):
    merchant = Customer.objects.get(external_id="merchant-terminal-42")
    assert merchant.segment == "smb" and merchant.has_consent("email")
    opened = merchant.signals.filter(kind="ticket_opened", issue_key="terminal_connection")
    assert opened.count() == 5
    facts = facts_for_customer(customer=merchant, at=timezone.now())
    assert facts["max_issue_recurrence_90d"] > 3
    assert facts["open_tickets"] == 1
    assert facts["open_tickets_without_eta"] == 1
    assert facts["eta_given"] is False
    assert facts["days_since_oldest_open_ticket"] > 3
    assert facts["complaints_30d"] >= 1


def test_merchant_17_is_past_the_same_problem(demo):
    merchant = Customer.objects.get(external_id="merchant-terminal-17")
    facts = facts_for_customer(customer=merchant, at=timezone.now())
    assert facts["max_issue_recurrence_90d"] > 3
    assert facts["open_tickets"] == 0
    assert facts["days_since_last_resolution"] <= 7
