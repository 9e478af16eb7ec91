"""The agent task queue: a page of a team's open tasks, overdue first, with why each was prescribed; claim,
release, complete or dismiss one with a note, and undo that for a few seconds, all in the task's own row."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.http import urlencode
from django_htmx.http import reswap, retarget

from cxcore.decorators import console_view
from cxcore.htmx import page_or_fragment
from cxcore.models import ActionKind, Team

from .selectors import (
    EVERY,
    QueueFilter,
    agent_task_get_for_user,
    agent_task_may_complete,
    agent_task_may_release_others,
    agent_tasks_done_recent,
    agent_tasks_open,
    queue_filter_read,
    task_explain,
)
from .services import TASK_STEPS, TaskRefused, agent_task_step
from .work import UNDO_SECONDS, agent_task_undo_read

# Without htmx the answer to a change is the queue again; its confirmation and undo wait in the session.
_NOTICES = "membrane.actions.notices"


def _default_team(request: HttpRequest) -> str:
    return request.user.team.key if request.user.team_id else EVERY


def _filter_query(queue: QueueFilter) -> str:
    return urlencode({"team": queue.team or EVERY, "kind": queue.kind or EVERY, "q": queue.q})


def _row_context(request: HttpRequest, task) -> dict:
    user = request.user
    may_work = agent_task_may_complete(user, task)
    mine = task.claimed_by_id == user.pk
    return {
        "task": task,
        "may_work": may_work and (task.claimed_by_id is None or mine),
        "may_claim": may_work and task.claimed_by_id is None,
        "may_release": task.claimed_by_id is not None and (mine or agent_task_may_release_others(user, task)),
        "mine": mine,
    }


def _context(request: HttpRequest, queue: QueueFilter, errors: dict[str, str]) -> dict:
    now = timezone.now()
    page = None if errors else agent_tasks_open(queue=queue, now=now, page=request.GET.get("page"))
    return {
        "page": page,
        "rows": [_row_context(request, task) for task in page.object_list] if page else [],
        "done": [] if errors else agent_tasks_done_recent(queue=queue),
        "teams": list(Team.objects.order_by("key").values_list("key", "name")),
        "kinds": list(ActionKind.objects.order_by("key").values_list("key", "name")),
        "queue": queue,
        "team": queue.team or EVERY,
        "kind": queue.kind or EVERY,
        "errors": errors,
        "filter_query": _filter_query(queue),
        "notices": _notices(request),
        "undo_seconds": UNDO_SECONDS,
        "now": now,
    }


@console_view()
def action_queue(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _act(request)
    if "row" in request.GET:
        return _row(request, request.GET["row"])
    queue, errors = queue_filter_read(request.GET, default_team=_default_team(request))
    if request.GET.get("part") == "done":
        done = [] if errors else agent_tasks_done_recent(queue=queue)
        context = {"done": done, "filter_query": _filter_query(queue)}
        return render(request, "membrane/actions.html#done_list", context)
    template = page_or_fragment(request, "membrane/actions.html", "queue")
    return render(request, template, _context(request, queue, errors))


def _row(request: HttpRequest, pk: str) -> HttpResponse:
    """One task's row as it stands (the confirmation row asks for it when its undo runs out): empty once closed."""
    task = agent_task_get_for_user(request.user, pk)
    if task.status != "open":
        return HttpResponse("")
    task = task_explain(task, timezone.now())
    return render(request, "membrane/actions.html#task_row", _row_context(request, task))


def _act(request: HttpRequest) -> HttpResponse:
    action = request.POST.get("action", "complete")
    pk = request.POST.get("task")
    try:
        task = agent_task_get_for_user(request.user, pk, write=True)
    except PermissionDenied as denied:
        return _refused(request, agent_task_get_for_user(request.user, pk), str(denied), status=403)
    if action not in TASK_STEPS:
        return _refused(request, task, f"Unknown action {action!r}.", status=400)
    try:
        change = agent_task_step(
            step=action,
            task=task,
            actor=request.user,
            note=request.POST.get("note", ""),
            undo=request.POST.get("undo", ""),
        )
    except TaskRefused as refused:
        return _refused(request, task, str(refused), status=409)
    if not request.htmx:
        _notice_set(request, change)
        queue, _ = queue_filter_read(request.POST, default_team=_default_team(request))
        return redirect(f"{request.path}?{_filter_query(queue)}")
    task = task_explain(change.task, timezone.now())
    if change.undo:
        context = {"task": task, "undo": change.undo, "undo_seconds": change.undo_seconds}
        row = render_to_string("membrane/actions.html#task_closed", context, request=request)
    else:
        flash = "Undone: the task is back as it was." if action == "undo" else ""
        context = {**_row_context(request, task), "flash": flash}
        row = render_to_string("membrane/actions.html#task_row", context, request=request)
    response = HttpResponse(row)
    if action in ("complete", "dismiss", "undo"):
        # The list of closed tasks asks for itself again (a <section> beside a <tr> in one answer would be
        # parsed into the table).
        response["HX-Trigger"] = "task-closed"
    return response


def _refused(request: HttpRequest, task, reason: str, *, status: int) -> HttpResponse:
    """The reason, in the task's row for htmx (the row redrawn as it now stands); on its own page otherwise."""
    if not request.htmx:
        return TemplateResponse(request, "403.html", {"reason": reason}, status=status)
    task.refresh_from_db()
    task = task_explain(task, timezone.now())
    if task.status != "open":
        context = {"task": task, "refused": reason}
        response = TemplateResponse(request, "membrane/actions.html#task_gone", context, status=status)
    else:
        context = {**_row_context(request, task), "refused": reason}
        response = TemplateResponse(request, "membrane/actions.html#task_row", context, status=status)
    return reswap(retarget(response, f"#task-{task.pk}"), "outerHTML")


def _notice_set(request: HttpRequest, change) -> None:
    """The task's confirmation with its undo after a completion or dismissal; none after any other change."""
    notices = [n for n in request.session.get(_NOTICES, []) if n["task"] != change.task.pk]
    if change.undo:
        text = f"{change.task.get_status_display().capitalize()}: {change.task.customer.external_id}"
        notices.append({"task": change.task.pk, "undo": change.undo, "text": text})
    request.session[_NOTICES] = notices


def _notices(request: HttpRequest) -> list[dict]:
    """The confirmations of this user's changes whose undo has not run out yet (kept for a page without htmx)."""
    notices = []
    for notice in request.session.get(_NOTICES, []):
        try:
            agent_task_undo_read(notice["undo"])
        except TaskRefused:
            continue
        notices.append(notice)
    if notices != request.session.get(_NOTICES, notices):
        request.session[_NOTICES] = notices
    return notices
