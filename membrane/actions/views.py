"""The agent task queue: a team's open tasks, overdue first, with why each was prescribed; "Done" completes one."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.http import urlencode
from django_htmx.http import reswap, retarget

from cxcore.decorators import console_view
from cxcore.htmx import page_or_fragment
from cxcore.models import ActionKind, Team

from .selectors import (
    QueueFilter,
    agent_task_get_for_user,
    agent_task_may_complete,
    agent_tasks_done_recent,
    agent_tasks_open,
)
from .services import agent_task_complete

ALL = "all"


def _queue(request: HttpRequest, data) -> QueueFilter:
    team = data.get("team")
    if team is None:  # the first visit: the user's own team
        team = request.user.team.key if request.user.team_id else ALL
    kind = data.get("kind") or ALL
    return QueueFilter(team="" if team == ALL else team, kind="" if kind == ALL else kind)


def _context(request: HttpRequest, queue: QueueFilter) -> dict:
    now = timezone.now()
    tasks, total = agent_tasks_open(queue=queue, now=now)
    return {
        "tasks": tasks,
        "total": total,
        # The tasks whose row offers "Done": those this user may complete.
        "completable": frozenset(task.pk for task in tasks if agent_task_may_complete(request.user, task)),
        "done": agent_tasks_done_recent(queue=queue),
        "teams": list(Team.objects.order_by("key").values_list("key", flat=True)),
        "kinds": list(ActionKind.objects.order_by("key").values_list("key", flat=True)),
        "team": queue.team or ALL,
        "kind": queue.kind or ALL,
        "now": now,
    }


@console_view()
def action_queue(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _complete(request)
    queue = _queue(request, request.GET)
    return render(request, page_or_fragment(request, "membrane/actions.html", "queue"), _context(request, queue))


def _complete(request: HttpRequest) -> HttpResponse:
    pk = request.POST.get("task")
    try:
        task = agent_task_get_for_user(request.user, pk, write=True)
    except PermissionDenied as denied:
        return _refused(request, agent_task_get_for_user(request.user, pk), str(denied))
    agent_task_complete(task=task, actor=request.user)
    queue = _queue(request, request.POST)
    if request.htmx:
        return render(request, "membrane/actions.html#queue", _context(request, queue))
    return redirect(f"{request.path}?{urlencode({'team': queue.team or ALL, 'kind': queue.kind or ALL})}")


def _refused(request: HttpRequest, task, reason: str) -> HttpResponse:
    """The reason, where "Done" was pressed: in place of the task's button for htmx, on the 403 page otherwise."""
    if not request.htmx:
        return TemplateResponse(request, "403.html", {"reason": reason}, status=403)
    context = {"task": task, "refused": reason}
    response = TemplateResponse(request, "membrane/actions.html#task_done", context, status=403)
    return reswap(retarget(response, f"#task-{task.pk}-done"), "outerHTML")
