"""An agent's work on a task through the services: claim (one agent at a time), release, complete or dismiss
with a note, undo within the window back to exactly the state before, and redo. Issue 17."""

from __future__ import annotations

import threading

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from cxcore.factories import make_user
from membrane.actions.services import (
    TaskRefused,
    agent_task_claim,
    agent_task_complete,
    agent_task_dismiss,
    agent_task_release,
    agent_task_undo,
)
from membrane.actions.work import UNDO_SECONDS
from membrane.models.decisions import AgentTask, TaskStatus
from membrane.tests.test_actions_page import make_task

STATE = ("status", "done_at", "done_by_id", "note", "claimed_by_id", "claimed_at")


def state(task: AgentTask) -> dict:
    task.refresh_from_db()
    return {name: getattr(task, name) for name in STATE}


def test_a_claimed_task_shows_its_holder_and_is_refused_to_another_until_released(agent):
    colleague = make_user("bert", role="agent", team="service")
    task = make_task()

    claimed = agent_task_claim(task=task, actor=agent).task
    assert (claimed.claimed_by, claimed.status) == (agent, TaskStatus.OPEN)
    assert agent_task_claim(task=task, actor=agent).task.claimed_at == claimed.claimed_at  # again: no change

    with pytest.raises(TaskRefused, match="anna claimed this task at .*; they must release it first"):
        agent_task_claim(task=task, actor=colleague)
    with pytest.raises(TaskRefused, match="they must release it first"):
        agent_task_complete(task=task, actor=colleague)
    with pytest.raises(TaskRefused, match="Only anna, who claimed it"):
        agent_task_release(task=task, actor=colleague)
    assert state(task)["claimed_by_id"] == agent.pk

    agent_task_release(task=task, actor=agent)
    assert agent_task_claim(task=task, actor=colleague).task.claimed_by == colleague


def test_a_manager_may_release_an_absent_agents_claim(agent, service_manager):
    task = make_task()
    agent_task_claim(task=task, actor=agent)
    agent_task_release(task=task, actor=service_manager, may_release_others=True)
    assert state(task)["claimed_by_id"] is None


def test_complete_undo_redo_restores_exactly_the_state_before(agent):
    task = make_task()
    agent_task_claim(task=task, actor=agent)
    before = state(task)

    done = agent_task_complete(task=task, actor=agent, note="  Called, terminal swapped. ")
    assert (done.task.status, done.task.done_by) == (TaskStatus.DONE, agent)
    assert done.task.note == "Called, terminal swapped."
    assert done.undo and done.undo_seconds == UNDO_SECONDS

    agent_task_undo(token=done.undo, actor=agent)
    assert state(task) == before
    with pytest.raises(TaskRefused, match="changed since"):
        agent_task_undo(token=done.undo, actor=agent)  # the same undo twice changes nothing more

    again = agent_task_complete(task=task, actor=agent, note="redo")
    assert state(task)["status"] == TaskStatus.DONE and again.task.note == "redo"


def test_undo_of_an_unclaimed_task_leaves_it_unclaimed(agent):
    task = make_task()
    before = state(task)
    dismissed = agent_task_dismiss(task=task, actor=agent, note="Customer asked not to be called.")
    assert state(task)["status"] == TaskStatus.DISMISSED
    agent_task_undo(token=dismissed.undo, actor=agent)
    assert state(task) == before


def test_refusals_change_nothing(agent):
    task = make_task()
    before = state(task)
    with pytest.raises(TaskRefused, match="Say in a note why"):
        agent_task_dismiss(task=task, actor=agent, note="   ")
    with pytest.raises(TaskRefused, match="at most 2000"):
        agent_task_complete(task=task, actor=agent, note="x" * 2001)
    assert state(task) == before
    agent_task_complete(task=task, actor=agent)
    with pytest.raises(TaskRefused, match="already done"):
        agent_task_dismiss(task=task, actor=agent, note="late")
    with pytest.raises(TaskRefused, match="already done"):
        agent_task_claim(task=task, actor=agent)


def test_an_undo_is_for_its_author_within_the_window(agent):
    colleague = make_user("bert", role="agent", team="service")
    task = make_task()
    done = agent_task_complete(task=task, actor=agent)
    with pytest.raises(TaskRefused, match="Only the agent who made the change"):
        agent_task_undo(token=done.undo, actor=colleague)
    with pytest.raises(TaskRefused, match="not valid"):
        agent_task_undo(token=done.undo[:-2] + "xx", actor=agent)
    later = timezone.now() + timezone.timedelta(seconds=UNDO_SECONDS + 1)
    with time_machine.travel(later), pytest.raises(TaskRefused, match="Too late to undo"):
        agent_task_undo(token=done.undo, actor=agent)
    assert state(task)["status"] == TaskStatus.DONE


def test_undo_is_refused_when_the_episode_ended_or_a_newer_task_opened(agent):
    task = make_task()
    done = agent_task_complete(task=task, actor=agent)
    make_task(customer=task.customer)  # the sync opened the next one meanwhile
    with pytest.raises(TaskRefused, match="A newer task for this customer is open"):
        agent_task_undo(token=done.undo, actor=agent)
    assert state(task)["status"] == TaskStatus.DONE

    other = make_task()
    done = agent_task_complete(task=other, actor=agent)
    AgentTask.objects.filter(pk=other.pk).update(episode_ended_at=timezone.now())
    with pytest.raises(TaskRefused, match="no longer needed"):
        agent_task_undo(token=done.undo, actor=agent)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_agents_claiming_at_once_one_wins():
    if connection.vendor != "postgresql":
        pytest.skip("threads writing at once need PostgreSQL; SQLite serialises them")
    agents = [make_user(f"agent{i}", role="agent", team="service") for i in range(2)]
    task = make_task()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def claim(actor):
        try:
            barrier.wait()
            agent_task_claim(task=task, actor=actor)
            outcomes.append("claimed")
        except TaskRefused as refused:
            outcomes.append(str(refused))
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(actor,)) for actor in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("claimed") == 1
    task.refresh_from_db()
    assert task.claimed_by_id in {a.pk for a in agents}
