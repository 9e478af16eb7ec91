"""PUT /api/v1/customers/{external_id} creates (201) or updates (200) a profile."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cxcore.factories import CustomerFactory
from cxcore.models import Customer

URL = "/api/v1/customers/M-1042"
PROFILE = {
    "name": "Café Nord",
    "email": "owner@cafe-nord.example",
    "phone": "+49 40 123",
    "segment": "smb",
    "region": "north",
    "timezone": "Europe/Berlin",
    "lifetime_value": "1840.50",
    "attributes": {"terminal": "TERM-1"},
    "consent": {"email": True, "sms": False},
}


@pytest.fixture
def sender(api, make_token):
    return api(make_token("ingest"))


def test_put_creates_then_updates(sender):
    created = sender.put(URL, PROFILE)
    updated = sender.put(URL, {"segment": "enterprise", "consent": {"phone": True}})

    assert created.status_code == 201, created.json()
    assert created.json()["name"] == "Café Nord"
    assert created.json()["lifetime_value"] == "1840.50"
    assert updated.status_code == 200
    customer = Customer.objects.get(external_id="M-1042")
    assert customer.segment == "enterprise"
    assert customer.name == "Café Nord"  # left out: kept
    assert customer.lifetime_value == Decimal("1840.50")
    assert customer.consent == {"phone": True}  # replaced as a whole
    assert customer.timezone == "Europe/Berlin"


def test_put_updates_a_customer_created_by_a_signal(sender):
    CustomerFactory(external_id="M-1042", name="")

    response = sender.put(URL, {"name": "Café Nord"})

    assert response.status_code == 200
    assert Customer.objects.get().name == "Café Nord"


def test_an_invalid_profile_names_every_field_and_stores_nothing(sender):
    response = sender.put(
        URL,
        {
            "timezone": "Mars/Olympus",
            "email": "not-an-email",
            "consent": {"email": "yes", "pigeon": True},
            "lifetime_value": "lots",
            "attributes": [],
            "nickname": "x",
        },
    )

    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"timezone", "email", "consent", "lifetime_value", "attributes", "nickname"}
    assert not Customer.objects.exists()


@pytest.mark.parametrize("raw", ["{", "[]", '"x"'])
def test_a_body_that_is_not_an_object_is_a_400(sender, raw):
    # A string is sent as the raw body.
    response = sender.put(URL, raw)

    assert response.status_code == 400
    assert not Customer.objects.exists()


def test_put_needs_the_ingest_scope(api, make_token, db):
    assert api(None).put(URL, PROFILE).status_code == 401
    assert api(make_token("read")).put(URL, PROFILE).status_code == 403
    assert not Customer.objects.exists()
