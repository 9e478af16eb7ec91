"""The desk on the 360° page: an ETA or a call becomes a console signal, the page's parts follow at once."""

from __future__ import annotations

import datetime as dt
import json
import uuid
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from cxcore.factories import CustomerFactory, SignalFactory
from cxcore.models import Signal
from membrane.actions.services import actions_sync
from membrane.models.decisions import AgentTask, TaskStatus

DAY = dt.timedelta(days=1)
HTMX = {"HX-Request": "true", "HX-Target": "desk"}


@pytest.fixture
def waiting(db):
    """The reference story's merchant, shortened: four recurrences resolved, a fifth open for four days, no ETA."""
    now = timezone.now()
    customer = CustomerFactory(
        external_id="M-WAIT", timezone="Europe/Berlin", consent={"email": True, "sms": True, "phone": True}
    )
    for n in range(5):
        opened = now - (40 - 8 * n) * DAY if n < 4 else now - 4 * DAY
        SignalFactory(
            customer=customer,
            kind="ticket_opened",
            ticket_ref=f"T{n}",
            issue_key="terminal",
            severity="high",
            occurred_at=opened,
        )
        if n < 4:
            SignalFactory(customer=customer, kind="ticket_eta_given", ticket_ref=f"T{n}", occurred_at=opened + DAY / 8)
            SignalFactory(customer=customer, kind="ticket_resolved", ticket_ref=f"T{n}", occurred_at=opened + 2 * DAY)
    actions_sync(customer_ids=[customer.pk], at=now)
    return customer


def local_input(when: dt.datetime) -> str:
    return timezone.localtime(when, zoneinfo.ZoneInfo("Europe/Berlin")).strftime("%Y-%m-%dT%H:%M")


def post_eta(client, *, ticket="T4", eta=None, key=None, headers=HTMX):
    eta = local_input(timezone.now() + 2 * DAY) if eta is None else eta
    data = {"key": key or str(uuid.uuid4()), "ticket": ticket, "eta": eta}
    return client.post(reverse("desk-eta", args=["M-WAIT"]), data, headers=headers)


def test_an_eta_becomes_a_console_signal_and_the_survey_is_allowed_at_once(client, agent, waiting):
    client.force_login(agent)
    page = client.get(reverse("customer", args=["M-WAIT"])).content.decode()
    assert 'data-testid="may-we-survey-sms" data-verdict="suppress"' in page
    assert 'value="T4"' in page  # the open ticket is offered; the resolved ones are not
    assert 'value="T0"' not in page

    eta = timezone.now().replace(second=0, microsecond=0) + 2 * DAY
    response = post_eta(client, eta=local_input(eta))

    assert response.status_code == 200
    signal = Signal.objects.get(source="console")
    assert (signal.kind, signal.direction, signal.ticket_ref, signal.eta) == ("ticket_eta_given", "out", "T4", eta)
    assert signal.payload["author"] == "anna"
    html = response.content.decode()
    assert "recorded for ticket T4" in html
    # The parts the ETA changes come along, swapped out of band, brought up to now.
    assert 'id="customer-may-we" hx-swap-oob="true"' in html
    assert 'data-testid="may-we-survey-sms" data-verdict="allow"' in html
    assert 'id="customer-stage" hx-swap-oob="true"' in html
    assert "cx-signals-changed" in json.loads(response.headers["HX-Trigger"])


def test_a_double_submit_stores_once(client, agent, waiting):
    client.force_login(agent)
    key = str(uuid.uuid4())

    first, second = post_eta(client, key=key), post_eta(client, key=key)

    assert Signal.objects.filter(source="console").count() == 1
    assert "Already recorded" in second.content.decode()
    assert first.status_code == second.status_code == 200


@pytest.mark.parametrize(
    ("ticket", "eta", "says"),
    [
        ("T0", None, "Choose one of the customer&#x27;s open tickets."),  # resolved
        ("T9", None, "Choose one of the customer&#x27;s open tickets."),  # not theirs
        ("T4", "", "Give the date and time the problem will be fixed."),
        ("T4", "tomorrow", "Give the ETA as a date and a time."),
        ("T4", "2020-01-01T10:00", "The ETA must lie in the future."),
    ],
)
def test_bad_input_says_why_and_stores_nothing(client, agent, waiting, ticket, eta, says):
    client.force_login(agent)

    response = post_eta(client, ticket=ticket, eta=eta)

    assert response.status_code == 200  # the desk again, with the error where it belongs
    html = response.content.decode()
    assert says in html
    assert "hx-swap-oob" not in html
    assert not Signal.objects.filter(source="console").exists()


def test_without_javascript_it_redirects_with_a_message(client, agent, waiting):
    client.force_login(agent)

    refused = post_eta(client, eta="2020-01-01T10:00", headers={})
    recorded = post_eta(client, headers={})

    assert refused.status_code == recorded.status_code == 302
    page = client.get(refused.url).content.decode()
    assert "Nothing was recorded: The ETA must lie in the future." in page
    assert "recorded for ticket T4" in page
    assert Signal.objects.filter(source="console").count() == 1


def test_the_eta_is_the_customers_local_time(client, agent, waiting):
    client.force_login(agent)
    berlin = timezone.now().astimezone(zoneinfo.ZoneInfo("Europe/Berlin")) + 3 * DAY
    typed = berlin.replace(hour=9, minute=30, second=0, microsecond=0)

    post_eta(client, eta=typed.strftime("%Y-%m-%dT%H:%M"))

    assert Signal.objects.get(source="console").eta == typed


def test_a_call_that_reached_the_customer_is_a_contact(client, agent, waiting):
    client.force_login(agent)
    url = reverse("desk-call", args=["M-WAIT"])

    reached = {"key": str(uuid.uuid4()), "direction": "out", "outcome": "reached", "note": "Apologised; ETA Friday."}
    inbound = {"key": str(uuid.uuid4()), "direction": "in", "outcome": "callback_requested", "note": ""}
    assert client.post(url, reached, headers=HTMX).status_code == 200
    assert client.post(url, inbound, headers=HTMX).status_code == 200

    contact = Signal.objects.get(source="console", kind="contact")
    assert (contact.direction, contact.channel, contact.category) == ("out", "phone", "agent_contact")
    assert contact.team == "service"  # the agent's team
    assert contact.payload == {
        "author": "anna",
        "author_team": "service",
        "outcome": "reached",
        "note": "Apologised; ETA Friday.",
    }
    call = Signal.objects.get(source="console", kind="call")
    assert (call.direction, call.payload["outcome"]) == ("in", "callback_requested")


def test_a_call_without_an_outcome_is_refused(client, agent, waiting):
    client.force_login(agent)

    response = client.post(
        reverse("desk-call", args=["M-WAIT"]),
        {"key": str(uuid.uuid4()), "direction": "out", "outcome": "shouted"},
        headers=HTMX,
    )

    assert "Choose how the call went." in response.content.decode()
    assert not Signal.objects.filter(source="console").exists()


def test_tasks_follow_at_once(client, agent, waiting):
    """More than three days in crisis prescribes the free service; the tasks are synced by the record itself."""
    AgentTask.objects.filter(customer=waiting).delete()
    client.force_login(agent)

    post_eta(client)

    assert AgentTask.objects.filter(customer=waiting, status=TaskStatus.OPEN, kind="offer_free_service").exists()


def test_only_agents_managers_and_admins_record(client, marketer, outsider, waiting):
    assert post_eta(client).status_code == 302  # to the login
    for user in (marketer, outsider):
        client.force_login(user)
        assert post_eta(client).status_code == 403
    assert not Signal.objects.filter(source="console").exists()
    client.force_login(outsider)
    assert client.get(reverse("desk-eta", args=["M-WAIT"])).status_code == 403


def test_an_agent_cannot_get_the_form_url(client, agent, waiting):
    client.force_login(agent)
    assert client.get(reverse("desk-eta", args=["M-WAIT"])).status_code == 405
    assert client.post(reverse("desk-eta", args=["nobody"]), {}).status_code == 404
