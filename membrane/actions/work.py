"""An agent's work on a task: claim it, release it, complete or dismiss it with a note, undo that.

Each change is a conditional UPDATE on the task's `revision` (read under `select_for_update`), so of two
agents pressing at once one wins and the other is refused with the reason, on PostgreSQL and SQLite alike.
Completing or dismissing hands back an undo token: signed, good for UNDO_SECONDS, for the agent who made
the change, and only while the task is still as that change left it. Undoing restores every field the
change touched, the claim included. The queue page, the customer page and any API call these.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from membrane.models.decisions import AgentTask, TaskStatus

from .selectors import agent_task_may_release_others

UNDO_SECONDS = 15
_UNDO_SALT = "membrane.actions.undo"
NOTE_MAX = 2000
# The fields an agent's change may touch: what an undo puts back.
_STATE = ("status", "done_at", "done_by_id", "note", "claimed_by_id", "claimed_at")


class TaskRefused(Exception):
    """The change cannot be made; the message says why, for the agent to read."""


@dataclass(frozen=True)
class TaskChange:
    task: AgentTask
    # For a completion or a dismissal: the token agent_task_undo takes, for UNDO_SECONDS.
    undo: str | None = None
    undo_seconds: int = UNDO_SECONDS


def _who(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else "someone"


def _locked(task: AgentTask) -> AgentTask:
    try:
        return AgentTask.objects.select_for_update(of=("self",)).select_related("claimed_by").get(pk=task.pk)
    except AgentTask.DoesNotExist:
        raise TaskRefused("This task no longer exists.") from None


def _must_be_open(task: AgentTask) -> None:
    if task.status != TaskStatus.OPEN:
        raise TaskRefused(f"This task is already {task.get_status_display()}.")


def _must_not_be_claimed_by_another(task: AgentTask, actor) -> None:
    if task.claimed_by_id is not None and task.claimed_by_id != actor.pk:
        since = timezone.localtime(task.claimed_at).strftime("%Y-%m-%d %H:%M")
        raise TaskRefused(f"{_who(task.claimed_by)} claimed this task at {since}; they must release it first.")


def _apply(task: AgentTask, **changes: Any) -> AgentTask:
    """Writes `changes` if the task is still at the revision read; the caller holds its lock."""
    written = AgentTask.objects.filter(pk=task.pk, revision=task.revision).update(revision=F("revision") + 1, **changes)
    if not written:  # only when the lock could not be taken (SQLite) and someone changed it between
        raise TaskRefused("Someone changed this task at the same moment; reload to see it.")
    return AgentTask.objects.select_related("claimed_by", "done_by").get(pk=task.pk)


def agent_task_claim(*, task: AgentTask, actor) -> TaskChange:
    """`actor` takes the open task on; refused when another agent holds it. Claiming one's own again is a no-op."""
    with transaction.atomic():
        current = _locked(task)
        _must_be_open(current)
        _must_not_be_claimed_by_another(current, actor)
        if current.claimed_by_id == actor.pk:
            return TaskChange(task=current)
        return TaskChange(task=_apply(current, claimed_by=actor, claimed_at=timezone.now()))


def agent_task_release(*, task: AgentTask, actor, may_release_others: bool = False) -> TaskChange:
    """Gives the claim up. Only its holder releases it, or, with `may_release_others`, a manager of the team."""
    with transaction.atomic():
        current = _locked(task)
        _must_be_open(current)
        if current.claimed_by_id is None:
            return TaskChange(task=current)
        if current.claimed_by_id != actor.pk and not may_release_others:
            raise TaskRefused(f"Only {_who(current.claimed_by)}, who claimed it, or a manager of the team releases it.")
        return TaskChange(task=_apply(current, claimed_by=None, claimed_at=None))


def _close(task: AgentTask, actor, status: str, note: str) -> TaskChange:
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise TaskRefused(f"The note is {len(note)} characters long; at most {NOTE_MAX}.")
    with transaction.atomic():
        current = _locked(task)
        _must_be_open(current)
        _must_not_be_claimed_by_another(current, actor)
        before = {name: getattr(current, name) for name in _STATE}
        now = timezone.now()
        changed = _apply(
            current,
            status=status,
            done_at=now,
            done_by=actor,
            note=note,
            claimed_by=actor,
            claimed_at=current.claimed_at or now,
        )
    return TaskChange(task=changed, undo=_undo_token(changed, actor, before))


def agent_task_complete(*, task: AgentTask, actor, note: str = "") -> TaskChange:
    """The agent did what the task asks; `note` is optional."""
    return _close(task, actor, TaskStatus.DONE, note)


def agent_task_dismiss(*, task: AgentTask, actor, note: str) -> TaskChange:
    """The agent judges the action not needed; the note saying why is required."""
    if not (note or "").strip():
        raise TaskRefused("Say in a note why the task is dismissed.")
    return _close(task, actor, TaskStatus.DISMISSED, note)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value


def _undo_token(task: AgentTask, actor, before: dict[str, Any]) -> str:
    payload = {"task": task.pk, "revision": task.revision, "by": actor.pk}
    payload["before"] = {name: _jsonable(value) for name, value in before.items()}
    return signing.dumps(payload, salt=_UNDO_SALT, compress=True)


def agent_task_undo_read(token: str, *, max_age: int = UNDO_SECONDS) -> dict[str, Any]:
    """The undo token's content; refused when it is forged or older than `max_age` seconds."""
    try:
        return signing.loads(token or "", salt=_UNDO_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise TaskRefused(f"Too late to undo: an undo lasts {UNDO_SECONDS} seconds.") from None
    except signing.BadSignature:
        raise TaskRefused("This undo is not valid.") from None


def agent_task_undo(*, token: str, actor) -> TaskChange:
    """Puts the task back exactly as it was before the completion or dismissal the token was issued for."""
    payload = agent_task_undo_read(token)
    if payload["by"] != actor.pk:
        raise TaskRefused("Only the agent who made the change undoes it.")
    before = {
        name: parse_datetime(value) if name in ("done_at", "claimed_at") and value else value
        for name, value in payload["before"].items()
    }
    with transaction.atomic():
        current = _locked(AgentTask(pk=payload["task"]))
        if current.revision != payload["revision"]:
            raise TaskRefused("The task has changed since; nothing was undone.")
        if before["status"] == TaskStatus.OPEN and current.episode_ended_at is not None:
            raise TaskRefused("The task is no longer needed (its condition stopped holding); nothing was undone.")
        try:
            with transaction.atomic():
                return TaskChange(task=_apply(current, **before))
        except IntegrityError:
            raise TaskRefused("A newer task for this customer is open; nothing was undone.") from None


TASK_STEPS = ("claim", "release", "complete", "dismiss", "undo")


def agent_task_step(*, step: str, task: AgentTask, actor, note: str = "", undo: str = "") -> TaskChange:
    """One step of `TASK_STEPS` by its name, as the queue and the customer page submit it (`undo`: the token
    of the change to undo); who may release another agent's claim is decided here, as for every caller."""
    if step == "claim":
        return agent_task_claim(task=task, actor=actor)
    if step == "release":
        may_release_others = agent_task_may_release_others(actor, task)
        return agent_task_release(task=task, actor=actor, may_release_others=may_release_others)
    if step == "complete":
        return agent_task_complete(task=task, actor=actor, note=note)
    if step == "dismiss":
        return agent_task_dismiss(task=task, actor=actor, note=note)
    if step == "undo":
        return agent_task_undo(token=undo, actor=actor)
    raise ValueError(f"unknown step {step!r}; one of {', '.join(TASK_STEPS)}")
