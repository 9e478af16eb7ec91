"""Prescribed actions become agent tasks: one open per customer and principle, repeated, closed when moot."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from cxcore.factories import CustomerFactory, SignalFactory
from membrane.actions.services import actions_sync, agent_task_complete
from membrane.models.decisions import AgentTask, TaskStatus

BASE = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


@pytest.fixture
def recurring_problem(db):
    """Four tickets on one issue over four days, all resolved on the fourth: the customer ends at risk."""
    customer = CustomerFactory()
    for n in range(4):
        SignalFactory(
            customer=customer,
            kind="ticket_opened",
            ticket_ref=f"T{n}",
            issue_key="terminal",
            occurred_at=BASE + n * DAY,
        )
        SignalFactory(customer=customer, kind="ticket_resolved", ticket_ref=f"T{n}", occurred_at=BASE + 3.5 * DAY)
    return customer


def open_tasks(customer):
    return sorted(AgentTask.objects.filter(customer=customer, status=TaskStatus.OPEN).values_list("kind", flat=True))


def test_tasks_follow_the_prescribing_principles(recurring_problem, agent):
    customer = recurring_problem
    at = BASE + 4 * DAY

    assert actions_sync(customer_ids=[customer.pk], at=at)["opened"] == 2
    assert open_tasks(customer) == ["agent_contact", "service_credit"]
    task = AgentTask.objects.get(customer=customer, kind="agent_contact")
    assert (task.team, task.due_at) == ("service", at + dt.timedelta(hours=24))

    # Safe to run twice: nothing is opened again.
    assert actions_sync(customer_ids=[customer.pk], at=at + DAY)["opened"] == 0
    assert AgentTask.objects.filter(customer=customer).count() == 2

    # Done, a non-repeating action stays done; the monthly credit comes back after 30 days.
    for task in AgentTask.objects.filter(customer=customer):
        agent_task_complete(task=task, actor=agent)
    actions_sync(customer_ids=[customer.pk], at=at + 10 * DAY)
    assert open_tasks(customer) == []
    actions_sync(customer_ids=[customer.pk], at=at + 30 * DAY)
    assert open_tasks(customer) == ["service_credit"]

    # Once the recurrence ages out of 90 days, neither condition holds: the open task closes by itself.
    actions_sync(customer_ids=[customer.pk], at=BASE + 95 * DAY)
    assert open_tasks(customer) == []
    closed = AgentTask.objects.get(customer=customer, status=TaskStatus.CLOSED)
    assert (closed.kind, closed.closed_at) == ("service_credit", BASE + 95 * DAY)


def test_the_database_allows_one_open_task_per_customer_and_principle(recurring_problem):
    actions_sync(customer_ids=[recurring_problem.pk], at=BASE + 4 * DAY)
    task = AgentTask.objects.filter(customer=recurring_problem).first()
    task.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        task.save()


def test_a_sync_over_everyone_reaches_every_customer(recurring_problem):
    untroubled = CustomerFactory()
    result = actions_sync(at=BASE + 4 * DAY)
    assert result["customers"] == 2 and open_tasks(untroubled) == []
    assert open_tasks(recurring_problem) == ["agent_contact", "service_credit"]


def test_the_scheduled_run_of_changed_customers_syncs_their_actions(db):
    from cxcore.models import Customer
    from membrane.tasks import reevaluate_changed

    customer = CustomerFactory()
    for n in range(4):  # yesterday, the fourth ticket on one issue
        SignalFactory(customer=customer, kind="ticket_opened", ticket_ref=f"R{n}", issue_key="reader")
    Customer.objects.filter(pk=customer.pk).update(dirty_since=BASE)

    reevaluate_changed()

    assert "agent_contact" in open_tasks(customer)
