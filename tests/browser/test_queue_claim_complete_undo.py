"""An agent works the queue in a real browser, at a laptop's width and a phone's (issue 17): finds the customer,
claims the task, completes it with a note, sees the confirmation where the task was, undoes and redoes it;
another agent's claim is shown and respected; Back and reload keep the page whole."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from cxcore.factories import make_user
from membrane.actions.services import agent_task_claim
from membrane.models.decisions import AgentTask, TaskStatus
from membrane.runs.services import stages_evaluate_all

from .test_actions_page import recurring_problem

DAY = dt.timedelta(days=1)
SHOTS = Path("/work/notes/shots")
WIDTHS = {"1440": {"width": 1440, "height": 900}, "390": {"width": 390, "height": 844}}


def shot(page, name: str) -> None:
    if SHOTS.is_dir():
        # From the top: the sticky top bar is drawn where the window was scrolled to, over the page.
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def top_on_page(locator) -> float:
    return locator.evaluate("element => element.getBoundingClientRect().top + window.scrollY")


def assert_within_width(page, selector: str, width: int) -> None:
    box = page.locator(selector).bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, (selector, box)


@pytest.mark.parametrize("size", WIDTHS)
def test_claim_complete_undo_redo(page, log_in, size):
    viewport = WIDTHS[size]
    page.set_viewport_size(viewport)
    now = timezone.now()
    overdue = recurring_problem("C-TERMINAL", "Corner Café", now - 2 * DAY)
    task = recurring_problem("C-READER", "Bakery Sonne", now)
    stages_evaluate_all(as_of=now)
    agent = make_user("anna", role="agent", team="service")
    colleague = make_user("bert", role="agent", team="service")
    agent_task_claim(task=overdue, actor=colleague)
    log_in(agent)

    page.goto("/actions/")
    page.watch.wait_for(f"[data-testid=task-{overdue.pk}]")
    held = page.locator(f"[data-testid=claim-{overdue.pk}]")
    assert "bert" in held.inner_text()  # who holds it...
    assert page.locator(f"[data-testid=done-{overdue.pk}]").count() == 0  # ...and nobody else closes it
    assert "Agent contact" in page.locator(f"[data-testid=task-{task.pk}]").inner_text()  # a label, not a key

    page.fill("[data-testid=task-q]", "bakery")
    page.wait_for_url("**/actions/?team=service&kind=all&q=bakery")
    page.locator(f"[data-testid=task-{overdue.pk}]").wait_for(state="detached")
    row = page.locator(f"#task-{task.pk}")

    page.click(f"[data-testid=claim-button-{task.pk}]")
    page.watch.wait_for(f"[data-testid=release-{task.pk}]")
    assert "you" in page.locator(f"[data-testid=claim-{task.pk}]").inner_text()
    assert AgentTask.objects.get(pk=task.pk).claimed_by == agent
    assert_within_width(page, f"[data-testid=done-{task.pk}]", viewport["width"])
    shot(page, f"h8-queue-{size}")

    top = top_on_page(row)
    page.fill(f"[data-testid=note-{task.pk}]", "Called: terminal swapped")
    page.click(f"[data-testid=done-{task.pk}]")
    page.watch.wait_for(f"[data-testid=undo-{task.pk}]")
    confirmation = page.locator(f"[data-testid=closed-{task.pk}]")
    assert "Called: terminal swapped" in confirmation.inner_text()
    # The confirmation is where the task was, in view, not at the foot of the page.
    assert abs(top_on_page(row) - top) < 5
    box = confirmation.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"]
    assert AgentTask.objects.get(pk=task.pk).status == TaskStatus.DONE
    page.watch.wait_for(f"[data-testid=done-task-{task.pk}]")  # the closed list too, without a reload
    shot(page, f"h8-queue-done-{size}")

    page.click(f"[data-testid=undo-{task.pk}]")
    page.watch.wait_for(f"[data-testid=flash-{task.pk}]")
    page.locator(f"[data-testid=done-task-{task.pk}]").wait_for(state="detached")
    restored = AgentTask.objects.get(pk=task.pk)
    assert (restored.status, restored.claimed_by, restored.done_by, restored.note) == (TaskStatus.OPEN, agent, None, "")
    assert "you" in page.locator(f"[data-testid=claim-{task.pk}]").inner_text()  # back as it was: claimed

    page.click(f"[data-testid=done-{task.pk}]")
    page.watch.wait_for(f"[data-testid=undo-{task.pk}]")
    assert AgentTask.objects.get(pk=task.pk).status == TaskStatus.DONE

    page.reload()
    page.watch.wait_for(f"[data-testid=done-task-{task.pk}]")  # closed recently, by the agent
    assert page.locator(f"[data-testid=task-{task.pk}]").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.goto(f"/customers/{task.customer.external_id}/")
    page.go_back()
    page.wait_for_url("**/actions/?team=service&kind=all&q=bakery")
    assert page.locator("h1").inner_text() == "Actions"
    page.watch.wait_for(f"[data-testid=done-task-{task.pk}]")
    page.watch.assert_clean()


def test_another_agents_claim_taken_meanwhile_is_said_in_the_row(page, log_in):
    task = recurring_problem("C-READER", "Bakery Sonne", timezone.now())
    agent = make_user("anna", role="agent", team="service")
    colleague = make_user("bert", role="agent", team="service")
    log_in(agent)
    page.goto("/actions/")
    page.watch.wait_for(f"[data-testid=claim-button-{task.pk}]")

    agent_task_claim(task=task, actor=colleague)  # while the page is open
    page.click(f"[data-testid=claim-button-{task.pk}]")

    refused = page.locator(f"[data-testid=refused-{task.pk}]")
    refused.wait_for()
    assert "bert claimed this task at" in refused.inner_text() and "they must release it first" in refused.inner_text()
    assert "bert" in page.locator(f"[data-testid=claim-{task.pk}]").inner_text()
    assert page.locator(f"[data-testid=done-{task.pk}]").count() == 0
    assert page.locator("h1").inner_text() == "Actions"
    assert AgentTask.objects.get(pk=task.pk).claimed_by == colleague
    assert [error.split()[0] for error in page.watch.http_errors] == ["409"]  # the refusal, and nothing else
