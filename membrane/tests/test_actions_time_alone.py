"""Time alone opens a task: more than three days in crisis, no new signal, after a full run; it closes when moot."""

from __future__ import annotations

import time_machine

from cxcore.factories import CustomerFactory, SignalFactory
from membrane.models.decisions import AgentTask, TaskStatus
from membrane.tasks import reevaluate_all

from .stage_helpers import DAY, NOW, ingest

HOUR = DAY / 24
LATER = NOW + 4 * DAY + 2 * HOUR  # four whole days after the run that found the customer in crisis


def free_service_tasks(customer):
    return AgentTask.objects.filter(customer=customer, kind="offer_free_service")


def test_a_full_run_opens_the_task_of_a_customer_in_crisis_for_more_than_three_days(db):
    customer = CustomerFactory()
    SignalFactory(customer=customer, kind="ticket_opened", ticket_ref="T1", issue_key="terminal", occurred_at=NOW)

    with time_machine.travel(NOW + HOUR, tick=False):
        reevaluate_all()  # in crisis since this run
    assert not free_service_tasks(customer).exists()

    # Exactly three days in crisis: not more than three yet (3 days and a microsecond would be: a day count is
    # the exact duration, docs/expressions.md "Day counts").
    with time_machine.travel(NOW + 3 * DAY + HOUR, tick=False):
        reevaluate_all()
    assert not free_service_tasks(customer).exists()

    with time_machine.travel(LATER, tick=False):  # no new signal: only time has passed
        reevaluate_all()
    task = free_service_tasks(customer).get()
    assert (task.status, task.team, task.opened_at) == (TaskStatus.OPEN, "service", LATER)
    assert task.due_at == task.opened_at + 24 * HOUR

    with time_machine.travel(NOW + 5 * DAY, tick=False):  # a second run keeps the one open task
        reevaluate_all()
    assert free_service_tasks(customer).count() == 1

    # Through the ingest service, which marks the customer as having a signal not evaluated yet.
    ingest(customer.external_id, "ticket_resolved", NOW + 5 * DAY + HOUR, ticket_ref="T1")
    with time_machine.travel(NOW + 6 * DAY, tick=False):
        reevaluate_all()  # the ticket is resolved: no longer in crisis
    task.refresh_from_db()
    assert (task.status, task.closed_at, task.episode_ended_at) == (TaskStatus.CLOSED, NOW + 6 * DAY, NOW + 6 * DAY)


def test_the_hourly_sync_opens_it_between_full_runs(db):
    from membrane.tasks import actions_sync_all

    customer = CustomerFactory()
    SignalFactory(customer=customer, kind="ticket_opened", ticket_ref="T1", issue_key="terminal", occurred_at=NOW)
    with time_machine.travel(NOW + HOUR, tick=False):
        reevaluate_all()
    with time_machine.travel(LATER, tick=False):
        actions_sync_all()
    assert free_service_tasks(customer).filter(status=TaskStatus.OPEN, opened_at=LATER).exists()
