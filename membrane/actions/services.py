"""Keeping agent tasks in step with the prescribing principles.

Per customer and principle: a task opens when the condition holds and none is open; it closes by
itself when the condition stops holding. A repeating action (repeat_days) opens again every R days
while the condition holds; a non-repeating one once per episode of the condition holding.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from cxcore.models import Customer
from membrane.decisions.engine import CompiledPrinciple, ruleset_get
from membrane.models.decisions import AgentTask, TaskStatus

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
CHUNK = 500


def _customers(customer_ids: Iterable[int] | None) -> Iterable[Customer]:
    if customer_ids is not None:
        ids = sorted(set(customer_ids))
        for start in range(0, len(ids), CHUNK):
            yield from Customer.objects.filter(pk__in=ids[start : start + CHUNK]).order_by("pk")
        return
    # Everyone, in id order and in chunks, so memory does not grow with the population.
    last = 0
    while True:
        chunk = list(Customer.objects.filter(pk__gt=last).order_by("pk")[:CHUNK])
        if not chunk:
            return
        yield from chunk
        last = chunk[-1].pk


def _sync_one(customer: Customer, prescribes: tuple[CompiledPrinciple, ...], at: dt.datetime) -> tuple[int, int]:
    from membrane.decisions.services import customer_row

    tasks = {}
    for task in AgentTask.objects.filter(customer=customer).order_by("opened_at", "id"):
        tasks[task.principle_id] = task  # the latest task of each principle
    if not prescribes and not any(t.status == TaskStatus.OPEN for t in tasks.values()):
        return 0, 0
    row, _stage = customer_row(customer=customer, at=at)
    holding = {p.principle_id: p for p in prescribes if p.predicate(row)}
    opened = closed = 0
    for principle_id, task in tasks.items():
        if principle_id in holding or task.episode_ended_at is not None:
            continue
        # The condition stopped holding (or the principle is no longer published): the episode ends.
        fields = {"episode_ended_at": at}
        if task.status == TaskStatus.OPEN:
            fields.update(status=TaskStatus.CLOSED, closed_at=at)
            closed += 1
        AgentTask.objects.filter(pk=task.pk).update(**fields)
    for principle_id, principle in holding.items():
        last = tasks.get(principle_id)
        if last is not None and last.status == TaskStatus.OPEN:
            continue
        repeat = principle.params.get("repeat_days")
        in_episode = last is not None and last.episode_ended_at is None
        if in_episode and not (repeat and last.opened_at + repeat * DAY <= at):
            continue
        try:
            with transaction.atomic():
                AgentTask.objects.create(
                    customer=customer,
                    principle_id=principle_id,
                    version_id=principle.version_id,
                    kind=principle.params["action"],
                    team=principle.params["team"],
                    opened_at=at,
                    due_at=at + principle.params["due_hours"] * HOUR,
                )
            opened += 1
        except IntegrityError:
            pass  # another run opened it meanwhile: one open task per customer and principle
    return opened, closed


def actions_sync(*, customer_ids: Iterable[int] | None = None, at: dt.datetime | None = None) -> dict[str, int]:
    """Opens and closes tasks as of `at` for the given customers (everyone when None). Safe to run twice."""
    at = at or timezone.now()
    prescribes = ruleset_get().prescribes
    opened = closed = customers = 0
    for customer in _customers(customer_ids):
        o, c = _sync_one(customer, prescribes, at)
        opened, closed, customers = opened + o, closed + c, customers + 1
    return {"customers": customers, "opened": opened, "closed": closed}


def agent_task_complete(*, task: AgentTask, actor) -> AgentTask:
    """An agent marks the action done; a conditional update so two agents cannot both complete it."""
    now = timezone.now()
    AgentTask.objects.filter(pk=task.pk, status=TaskStatus.OPEN).update(
        status=TaskStatus.DONE, done_at=now, done_by=actor
    )
    task.refresh_from_db()
    return task
