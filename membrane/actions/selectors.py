"""Reads of the agent task queue: a team's open tasks, overdue first, and the recently completed ones."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from cxcore.facts.selectors import row_facts
from cxcore.models import Role
from membrane.models.decisions import AgentTask, TaskStatus
from membrane.principles.conditions import ConditionError, condition_compile
from membrane.stages.facts import stored_stage_facts

OPEN_SHOWN = 100
DONE_SHOWN = 20


@dataclass(frozen=True)
class QueueFilter:
    team: str  # a Team key, or "" for every team
    kind: str  # an ActionKind key, or "" for every kind


def _tasks(queue: QueueFilter) -> QuerySet:
    tasks = AgentTask.objects.select_related(
        "customer", "customer__facts", "customer__stage_state", "principle", "version", "done_by"
    )
    if queue.team:
        tasks = tasks.filter(team=queue.team)
    if queue.kind:
        tasks = tasks.filter(kind=queue.kind)
    return tasks


def agent_tasks_open(*, queue: QueueFilter, now: dt.datetime) -> tuple[list[AgentTask], int]:
    """The open tasks, due soonest (so overdue) first, each with `overdue` and `why`; and how many are open in all."""
    tasks = _tasks(queue).filter(status=TaskStatus.OPEN).order_by("due_at", "id")
    shown = list(tasks[:OPEN_SHOWN])
    total = len(shown) if len(shown) < OPEN_SHOWN else tasks.count()
    for task in shown:
        task.overdue = task.due_at < now
    _explain(shown, now)
    return shown, total


def agent_tasks_done_recent(*, queue: QueueFilter) -> list[AgentTask]:
    tasks = _tasks(queue).filter(status=TaskStatus.DONE).order_by("-done_at", "-id")
    return list(tasks[:DONE_SHOWN])


def _explain(tasks: list[AgentTask], now: dt.datetime) -> None:
    """`task.why`: the facts the prescribing condition reads, with the customer's stored values."""

    read: dict[int, tuple[str, ...]] = {}
    for task in tasks:
        if task.version_id not in read:
            try:
                read[task.version_id] = condition_compile(task.version.condition).facts
            except ConditionError:
                read[task.version_id] = ()
        values = _stored_facts(task.customer, now)
        task.why = [(name, values.get(name)) for name in read[task.version_id] if name in values]


def _stored_facts(customer, now: dt.datetime) -> dict:
    values: dict = {}
    try:
        facts = customer.facts
    except ObjectDoesNotExist:
        facts = None
    if facts is not None:
        values.update(row_facts(facts, at=now))
    try:
        state = customer.stage_state
    except ObjectDoesNotExist:
        state = None
    if state is not None:
        values.update(stored_stage_facts(state, at=now))
    return values


def agent_task_may_complete(user, task: AgentTask) -> bool:
    """Who may complete a task: an administrator, or an agent or CX manager of its team. The one rule: the
    access check below enforces it and the queue shows "Done" by it."""
    return user.has_role(Role.ADMIN) or (user.has_role(Role.AGENT, Role.CX_MANAGER) and task.team == _team_key(user))


def agent_task_get_for_user(user, pk, *, write: bool = False) -> AgentTask:
    """The one access check of a task: 404 when there is none; to complete it, agent_task_may_complete."""
    try:
        task = AgentTask.objects.get(pk=pk)
    except (AgentTask.DoesNotExist, ValueError, TypeError):
        raise Http404("No such task.") from None
    if not user.has_role(*Role.values):
        raise PermissionDenied("A console role is needed.")
    if write and not agent_task_may_complete(user, task):
        raise PermissionDenied("Only agents and CX managers of the task's team complete it.")
    return task


def _team_key(user) -> str:
    return user.team.key if user.team_id else ""
