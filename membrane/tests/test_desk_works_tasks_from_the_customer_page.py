"""The customer page's open tasks: claim, complete or dismiss with a note, undo, through the queue's services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cxcore.factories import CustomerFactory, SignalFactory, make_user
from membrane.actions.services import actions_sync
from membrane.models.decisions import AgentTask, TaskStatus

DAY = dt.timedelta(days=1)
HTMX = {"HX-Request": "true", "HX-Target": "customer-may-we"}


@pytest.fixture
def call_task(db):
    """Four recurrences of the terminal problem: an agent of service is to call (agent_contact)."""
    now = timezone.now()
    customer = CustomerFactory(external_id="M-CALL", consent={"email": True})
    for n in range(4):
        SignalFactory(
            customer=customer,
            kind="ticket_opened",
            ticket_ref=f"T{n}",
            issue_key="terminal",
            occurred_at=now - (4 - n) * DAY,
        )
    actions_sync(customer_ids=[customer.pk], at=now)
    return AgentTask.objects.get(customer=customer, kind="agent_contact")


def step(client, task, name, **data):
    return client.post(reverse("desk-task", args=[task.pk, name]), data, headers=HTMX)


def test_claim_complete_undo_redo(client, agent, call_task):
    client.force_login(agent)
    page = client.get(reverse("customer", args=["M-CALL"])).content.decode()
    assert f'data-testid="claim-{call_task.pk}"' in page
    assert "Agent contact" in page  # the kind's name, not its key

    claimed = step(client, call_task, "claim").content.decode()
    call_task.refresh_from_db()
    assert call_task.claimed_by == agent
    assert "You claimed Agent contact." in claimed and "claimed by anna" in claimed

    completed = step(client, call_task, "complete", note="Called, apologised, technician Friday.").content.decode()
    call_task.refresh_from_db()
    assert (call_task.status, call_task.done_by, call_task.note) == (
        TaskStatus.DONE,
        agent,
        "Called, apologised, technician Friday.",
    )
    assert "Completed Agent contact." in completed
    assert f'data-testid="open-task-{call_task.pk}"' not in completed
    token = completed.split('name="token" value="')[1].split('"')[0]
    # The stage and the heading come along out of band, as after a record.
    assert 'id="customer-stage" hx-swap-oob="true"' in completed

    undone = step(client, call_task, "undo", token=token).content.decode()
    call_task.refresh_from_db()
    assert (call_task.status, call_task.done_by, call_task.note, call_task.claimed_by) == (
        TaskStatus.OPEN,
        None,
        "",
        agent,
    )
    assert f'data-testid="open-task-{call_task.pk}"' in undone

    step(client, call_task, "complete")
    call_task.refresh_from_db()
    assert call_task.status == TaskStatus.DONE


def test_dismiss_needs_a_note_and_says_so(client, agent, call_task):
    client.force_login(agent)

    refused = step(client, call_task, "dismiss", note=" ").content.decode()
    call_task.refresh_from_db()
    assert call_task.status == TaskStatus.OPEN
    assert "Say in a note why the task is dismissed." in refused

    step(client, call_task, "dismiss", note="The customer asked us not to call.")
    call_task.refresh_from_db()
    assert (call_task.status, call_task.note) == (TaskStatus.DISMISSED, "The customer asked us not to call.")


def test_a_task_claimed_by_another_agent_is_refused_with_who(client, agent, call_task):
    other = make_user("bert", role="agent", team="service")
    client.force_login(other)
    step(client, call_task, "claim")
    client.force_login(agent)

    refused = step(client, call_task, "complete").content.decode()

    call_task.refresh_from_db()
    assert call_task.status == TaskStatus.OPEN
    assert "bert claimed this task" in refused


def test_another_teams_agent_and_a_marketer_are_refused(client, marketer, call_task):
    sales = make_user("sally", role="agent", team="sales")
    client.force_login(sales)
    answer = step(client, call_task, "complete").content.decode()
    assert "Only agents and CX managers of the task" in answer
    client.force_login(marketer)
    assert step(client, call_task, "complete").status_code == 403
    call_task.refresh_from_db()
    assert call_task.status == TaskStatus.OPEN


def test_without_javascript_a_step_redirects_with_a_message(client, agent, call_task):
    client.force_login(agent)

    answer = client.post(reverse("desk-task", args=[call_task.pk, "complete"]), {"note": ""})

    assert answer.status_code == 302
    assert "Completed Agent contact." in client.get(answer.url).content.decode()


def test_unknown_step_or_task_is_404(client, agent, call_task):
    client.force_login(agent)
    assert step(client, call_task, "explode").status_code == 404
    assert client.post(reverse("desk-task", args=[999999, "claim"]), headers=HTMX).status_code == 404
