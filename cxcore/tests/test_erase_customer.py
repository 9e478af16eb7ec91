"""`erase_customer` removes a customer's personal data and keeps what the membrane decided, under a
pseudonym; the erasure is logged; bad input erases nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from cxcore.factories import CustomerFactory, SignalFactory
from cxcore.models import Customer, CustomerErasure, Signal, User
from membrane.models import DecisionLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def merchant():
    customer = CustomerFactory(
        external_id="M-1001",
        name="Bäckerei Sommer",
        email="kasse@sommer.example",
        phone="+49 30 1234567",
        attributes={"owner": "Jana Sommer", "customer_since": "2023-03-01"},
    )
    SignalFactory(customer=customer, kind="ticket_opened", payload={"text": "Terminal broken, call Jana"})
    SignalFactory(customer=customer, kind="purchase", payload={"amount": "49.00"})
    return customer


def erase(*args: str) -> str:
    out = io.StringIO()
    call_command("erase_customer", *args, stdout=out)
    return out.getvalue()


def test_erasure_clears_personal_data_and_keeps_decisions_under_a_pseudonym(merchant, api, make_token):
    client = api(make_token("decide"))
    asked = client.post(
        "/api/v1/decisions",
        {"customer": "M-1001", "team": "marketing_devices", "category": "marketing", "channel": "email"},
    )
    assert asked.status_code == 200

    printed = erase("M-1001", "--by", "dpo@example.com")

    customer = Customer.objects.get(pk=merchant.pk)
    assert customer.external_id.startswith("erased-")
    personal = (customer.name, customer.email, customer.phone, customer.attributes, customer.consent)
    assert personal == ("", "", "", {}, {})
    assert list(Signal.objects.filter(customer=customer).values_list("payload", flat=True)) == [{}, {}]
    assert Signal.objects.filter(customer=customer).count() == 2
    assert DecisionLog.objects.filter(customer=customer).count() == 1
    record = CustomerErasure.objects.get()
    assert (record.customer_id, record.pseudonym, record.erased_by, record.signals_cleared) == (
        merchant.pk,
        customer.external_id,
        "dpo@example.com",
        2,
    )
    assert customer.external_id in printed
    assert "M-1001" not in str(CustomerErasure.objects.values().get())
    assert (
        client.post(
            "/api/v1/decisions",
            {"customer": "M-1001", "team": "marketing_devices", "category": "marketing", "channel": "email"},
        ).status_code
        == 404
    )


def test_an_unknown_customer_erases_nothing(merchant):
    with pytest.raises(CommandError, match="No customer 'M-404'"):
        erase("M-404")

    assert Customer.objects.get(pk=merchant.pk).name == "Bäckerei Sommer"
    assert not CustomerErasure.objects.exists()


def test_a_second_erasure_is_refused(merchant):
    erase("M-1001")
    pseudonym = Customer.objects.get(pk=merchant.pk).external_id

    with pytest.raises(CommandError, match="already erased"):
        erase(pseudonym)

    assert CustomerErasure.objects.count() == 1


def test_the_admin_action_erases_and_logs_who_asked(merchant, client):
    admin = User.objects.create_superuser("root", "root@example.com", "pw-for-tests-1")
    client.force_login(admin)

    response = client.post(
        "/admin/cxcore/customer/",
        {"action": "erase_personal_data", "_selected_action": [merchant.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "Erased 1" in response.content.decode()
    assert CustomerErasure.objects.get().erased_by == "root"
    assert Customer.objects.get(pk=merchant.pk).email == ""
