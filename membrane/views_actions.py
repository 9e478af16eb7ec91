"""The agent task queue: a team's open tasks, overdue first, with why each was prescribed; "Done" completes one."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.http import urlencode

from cxcore.decorators import console_view
from cxcore.htmx import page_or_fragment
from cxcore.models import ActionKind, Team

from .actions.selectors import QueueFilter, agent_task_get_for_user, agent_tasks_done_recent, agent_tasks_open
from .actions.services import agent_task_complete

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
    try:
        task = agent_task_get_for_user(request.user, request.POST.get("task"), write=True)
    except PermissionDenied as denied:
        return TemplateResponse(request, "403.html", {"reason": str(denied)}, status=403)
    agent_task_complete(task=task, actor=request.user)
    queue = _queue(request, request.POST)
    if request.htmx:
        return render(request, "membrane/actions.html#queue", _context(request, queue))
    return redirect(f"{request.path}?{urlencode({'team': queue.team or ALL, 'kind': queue.kind or ALL})}")
