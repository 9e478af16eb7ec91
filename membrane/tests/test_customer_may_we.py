"""The customer page's "What may we do now?": the engine's verdicts, the same as the API's, logged nowhere."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cxcore.factories import CustomerFactory, SignalFactory
from cxcore.models import Category, Channel
from membrane.actions.services import actions_sync
from membrane.models.decisions import DecisionLog

DAY = dt.timedelta(days=1)
DECISIONS = "/api/v1/decisions"


@pytest.fixture
def crisis_customer(db):
    """Bought before, then a high-severity ticket on the terminal, open for five days: in crisis."""
    now = timezone.now()
    customer = CustomerFactory(external_id="M-CRISIS", name="Kiosk", consent={"email": True, "sms": True})
    SignalFactory(customer=customer, kind="purchase", amount="99.00", occurred_at=now - 40 * DAY)
    for n in range(4):  # the fourth recurrence of the same problem prescribes an agent's call
        SignalFactory(
            customer=customer,
            kind="ticket_opened",
            ticket_ref=f"T{n}",
            issue_key="terminal",
            severity="high",
            occurred_at=now - (5 + n) * DAY,
        )
    return customer


def verdicts(view) -> dict[tuple[str, str], dict]:
    return {(cell["category"], cell["channel"]): cell for row in view["rows"] for cell in row["cells"]}


def test_the_matrix_agrees_with_the_decision_api(client, agent, api, make_token, crisis_customer):
    client.force_login(agent)

    response = client.get(reverse("customer", args=["M-CRISIS"]))

    assert response.status_code == 200
    assert not DecisionLog.objects.exists()  # asking the page is not a decision anyone made
    matrix = verdicts(response.context["view"]["may_we"])
    assert len(matrix) == Category.objects.count() * Channel.objects.count()
    token = make_token("decide")
    for category, channel, expected in [
        ("marketing", "email", "suppress"),
        ("service_update", "email", "allow"),
        ("marketing", "push", "suppress"),  # no consent on push
        ("survey", "sms", "suppress"),  # open tickets, no ETA
    ]:
        answer = api(token).post(
            DECISIONS, {"customer": "M-CRISIS", "team": "marketing_devices", "category": category, "channel": channel}
        )
        assert answer.status_code == 200, answer.content
        cell = matrix[(category, channel)]
        assert (cell["verdict"], cell["decided_by"], cell["reason"]) == (
            expected,
            answer.json()["decided_by"],
            answer.json()["reason"],
        )
    html = response.content.decode()
    assert "No marketing or sales offers during a crisis" in html
    assert 'data-testid="may-we-marketing-email" data-verdict="suppress"' in html


def test_prescribed_actions_and_open_tasks_show(client, agent, crisis_customer):
    actions_sync(customer_ids=[crisis_customer.pk], at=timezone.now())
    client.force_login(agent)

    response = client.get(reverse("customer", args=["M-CRISIS"]))

    view = response.context["view"]
    assert sorted(a["kind"] for a in view["may_we"]["prescribed"]) == ["agent_contact", "offer_free_service"]
    assert {task["kind"] for task in view["open_actions"]} == {"agent_contact", "offer_free_service"}
    html = response.content.decode()
    assert "An agent calls after more than three recurrences" in html


def test_the_360_api_carries_the_matrix_and_open_actions(api, make_token, crisis_customer):
    actions_sync(customer_ids=[crisis_customer.pk], at=timezone.now())

    body = api(make_token("read")).get("/api/v1/customers/M-CRISIS").json()

    assert verdicts(body["may_we"])[("marketing", "email")]["verdict"] == "suppress"
    assert {task["kind"] for task in body["open_actions"]} == {"agent_contact", "offer_free_service"}


def test_queries_do_not_grow_with_the_signals(client, agent, crisis_customer):
    now = timezone.now()
    SignalFactory.create_batch(80, customer=crisis_customer, kind="contact", direction="out", occurred_at=now - DAY)
    few = CustomerFactory(external_id="M-FEW", consent={"email": True})
    SignalFactory(customer=few, kind="purchase", amount="10.00", occurred_at=now - DAY)
    client.force_login(agent)

    def queries(external_id: str) -> int:
        client.get(reverse("customer", args=[external_id]))  # a first visit may store the stage
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("customer", args=[external_id])).status_code == 200
        return len(captured)

    many, few_count = queries("M-CRISIS"), queries("M-FEW")
    assert many == few_count
    assert many <= 30


def test_outsiders_get_403_and_strangers_log_in(client, outsider, crisis_customer):
    url = reverse("customer", args=["M-CRISIS"])
    assert client.get(url).status_code == 302
    client.force_login(outsider)
    assert client.get(url).status_code == 403
