"""load_demo: the same seed gives the same demo; a rerun stores nothing twice; --if-empty keeps data."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db.models import Count

from cxcore.demo.generator import demo_generate
from cxcore.factories import CustomerFactory
from cxcore.models import Customer, Signal

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


def load(*args: str) -> str:
    out = io.StringIO()
    call_command("load_demo", *args, stdout=out)
    return " ".join(out.getvalue().split())


def counts() -> dict[str, int]:
    return dict(Signal.objects.values_list("kind").annotate(n=Count("id")).order_by())


def test_same_seed_same_population_and_signals():
    assert demo_generate(customers=200, seed=3, now=NOW) == demo_generate(customers=200, seed=3, now=NOW)
    assert demo_generate(customers=200, seed=3, now=NOW) != demo_generate(customers=200, seed=4, now=NOW)


def test_same_seed_same_counts_in_the_database():
    load("--customers", "120", "--seed", "7")
    first = (Customer.objects.count(), counts())
    Customer.objects.all().delete()
    load("--customers", "120", "--seed", "7")
    assert (Customer.objects.count(), counts()) == first
    assert first[0] == 122  # and the two reference merchants


def test_the_demo_spans_every_team_channel_segment_and_signal_kind():
    load("--customers", "300", "--seed", "1")
    contacts = Signal.objects.filter(kind="contact")
    assert set(contacts.values_list("team", flat=True)) == {
        "cx",
        "service",
        "sales",
        "marketing_services",
        "marketing_devices",
        "research",
    }
    assert set(contacts.values_list("channel", flat=True)) == {"email", "sms", "push", "phone", "in_app", "letter"}
    assert set(Customer.objects.values_list("segment", flat=True)) == {"smb", "enterprise", "consumer"}
    assert set(counts()) == {
        "purchase",
        "contact",
        "ticket_opened",
        "ticket_eta_given",
        "ticket_resolved",
        "ticket_reopened",
        "complaint",
        "survey_response",
    }
    # Nothing that needs consent went to a channel without it: the demo's past obeyed the rule.
    consent = dict(Customer.objects.values_list("id", "consent"))
    needing = contacts.filter(category__in=["marketing", "sales_offer", "upsell", "survey"])
    assert needing.exists()
    for customer_id, channel in needing.values_list("customer_id", "channel"):
        assert consent[customer_id].get(channel) is True


def test_a_rerun_reports_duplicates_and_stores_nothing():
    load("--customers", "40")
    stored = Signal.objects.count()
    second = load("--customers", "40")
    assert Signal.objects.count() == stored
    assert f"total 0 stored {stored:,} duplicates" in second


def test_if_empty_leaves_an_existing_population_alone():
    CustomerFactory()
    out = load("--if-empty", "--customers", "40")
    assert "demo not loaded" in out
    assert Customer.objects.count() == 1
    assert Signal.objects.count() == 0
