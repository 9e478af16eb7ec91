"""A repeating action comes back every R days while its condition holds; an undone one expires and is replaced."""

from __future__ import annotations

from cxcore.factories import CustomerFactory, SignalFactory
from membrane.actions.services import actions_sync, agent_task_complete, task_expired
from membrane.models.decisions import AgentTask, TaskStatus
from membrane.runs.services import stages_evaluate_all

from .stage_helpers import DAY, NOW


def at_risk_customer():
    """Three tickets on one issue, all resolved: in crisis, then at risk (the monthly service credit, R = 30)."""
    customer = CustomerFactory()
    for n in range(3):
        opened = NOW - (10 - n) * DAY
        SignalFactory(customer=customer, kind="ticket_opened", ticket_ref=f"T{n}", issue_key="t", occurred_at=opened)
        SignalFactory(customer=customer, kind="ticket_resolved", ticket_ref=f"T{n}", occurred_at=opened + DAY / 2)
    return customer


def sync_everyone(at):
    stages_evaluate_all(as_of=at)
    return actions_sync(at=at)


def credits(customer):
    return list(AgentTask.objects.filter(customer=customer, kind="service_credit").order_by("opened_at"))


def test_repeating_task_is_recreated_after_r_days(db, agent):
    customer = at_risk_customer()
    stages_evaluate_all(as_of=NOW - 9 * DAY)  # in crisis
    sync_everyone(NOW)  # at risk now
    [first] = credits(customer)
    assert first.status == TaskStatus.OPEN

    sync_everyone(NOW + 29 * DAY)  # not yet 30 days
    assert len(credits(customer)) == 1

    agent_task_complete(task=first, actor=agent)
    result = sync_everyone(NOW + 30 * DAY)
    done, second = credits(customer)
    assert (done.status, second.status, second.opened_at) == (TaskStatus.DONE, TaskStatus.OPEN, NOW + 30 * DAY)
    assert result["opened"] >= 1 and result["expired"] == 0

    # Left undone for another 30 days: it expires and the next month's credit replaces it.
    result = sync_everyone(NOW + 60 * DAY)
    done, expired, third = credits(customer)
    assert result["expired"] == 1
    assert (expired.status, expired.closed_at, expired.episode_ended_at) == (TaskStatus.CLOSED, NOW + 60 * DAY, None)
    assert task_expired(expired) and third.status == TaskStatus.OPEN and third.opened_at == NOW + 60 * DAY

    # The recurrence ages out of 90 days: no longer at risk, the open credit closes and the episode ends.
    sync_everyone(NOW + 95 * DAY)
    done, expired, third = credits(customer)
    assert third.status == TaskStatus.CLOSED and not task_expired(third)
    assert task_expired(expired)  # still told apart from the one closed because the condition stopped
    assert {t.episode_ended_at for t in (done, expired, third)} == {NOW + 95 * DAY}


def test_the_per_customer_path_repeats_the_same_way(db):
    customer = at_risk_customer()
    actions_sync(customer_ids=[customer.pk], at=NOW)
    actions_sync(customer_ids=[customer.pk], at=NOW + 30 * DAY)
    first, second = credits(customer)
    assert task_expired(first) and second.status == TaskStatus.OPEN
