"""Reads of the agent task queue: a page of a team's open tasks, overdue first, and those recently closed by agents."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import Http404

from cxcore.facts.selectors import row_facts
from cxcore.models import Role
from cxcore.selectors import vocabulary_has_key
from membrane.models.decisions import AgentTask, TaskStatus
from membrane.principles.conditions import ConditionError, condition_compile
from membrane.stages.facts import stored_stage_facts

TASKS_PER_PAGE = 25
DONE_SHOWN = 20
SEARCH_MAX = 100
# What an agent has closed: done, or dismissed with a note.
CLOSED_BY_AGENT = (TaskStatus.DONE, TaskStatus.DISMISSED)


@dataclass(frozen=True)
class QueueFilter:
    team: str  # a Team key, or "" for every team
    kind: str  # an ActionKind key, or "" for every kind
    q: str = ""  # the start of a customer's external id, or part of their name


EVERY = "all"


def queue_filter_read(data, *, default_team: str) -> tuple[QueueFilter, dict[str, str]]:
    """The queue's filter from the URL's `team`, `kind` and `q`, and what is wrong with it, by parameter.

    A key the vocabulary does not hold is an error that names it ("unknown team zzz"), never "every team";
    `default_team` is the filter of a first visit (the user's own team, or EVERY).
    """
    team = data.get("team")
    team = default_team if team is None else team.strip()
    kind = (data.get("kind") or EVERY).strip()
    q = (data.get("q") or "").strip()
    errors = {}
    if team not in ("", EVERY) and not vocabulary_has_key(vocabulary="team", key=team):
        errors["team"] = f"unknown team {team}"
    if kind not in ("", EVERY) and not vocabulary_has_key(vocabulary="action_kind", key=kind):
        errors["kind"] = f"unknown action kind {kind}"
    if len(q) > SEARCH_MAX:
        errors["q"] = f"the search is {len(q):,} characters long; at most {SEARCH_MAX}"
        q = q[:SEARCH_MAX]
    team = "" if team == EVERY else team
    kind = "" if kind == EVERY else kind
    return QueueFilter(team=team, kind=kind, q=q), errors


def _tasks(queue: QueueFilter) -> QuerySet:
    tasks = AgentTask.objects.select_related(
        "customer", "customer__facts", "customer__stage_state", "principle", "version", "done_by", "claimed_by"
    )
    if queue.team:
        tasks = tasks.filter(team=queue.team)
    if queue.kind:
        tasks = tasks.filter(kind=queue.kind)
    if queue.q:
        tasks = tasks.filter(Q(customer__external_id__istartswith=queue.q) | Q(customer__name__icontains=queue.q))
    return tasks


def agent_tasks_open(*, queue: QueueFilter, now: dt.datetime, page: object = 1) -> Page:
    """A page of the open tasks, due soonest (so overdue) first, each with `overdue` and `why`."""
    tasks = _tasks(queue).filter(status=TaskStatus.OPEN).order_by("due_at", "id")
    shown = Paginator(tasks, TASKS_PER_PAGE).get_page(page)
    shown.object_list = list(shown.object_list)
    for task in shown.object_list:
        task.overdue = task.due_at < now
    _explain(shown.object_list, now)
    return shown


def agent_tasks_done_recent(*, queue: QueueFilter) -> list[AgentTask]:
    tasks = _tasks(queue).filter(status__in=CLOSED_BY_AGENT).order_by("-done_at", "-id")
    return list(tasks[:DONE_SHOWN])


def task_explain(task: AgentTask, now: dt.datetime) -> AgentTask:
    """One task as the queue shows it: `overdue`, and `why` (see _explain)."""
    task.overdue = task.due_at < now
    _explain([task], now)
    return task


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


def agent_task_may_release_others(user, task: AgentTask) -> bool:
    """Who may release another agent's claim (one away, say): an administrator or a CX manager of the team."""
    return user.has_role(Role.ADMIN) or (user.has_role(Role.CX_MANAGER) and task.team == _team_key(user))


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
