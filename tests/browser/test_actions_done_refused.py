"""A refused "Done" says why in the task's row and leaves the queue as it was; "Done" shows where it may be pressed."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from cxcore.factories import make_user
from cxcore.models import Team

from .test_actions_page import recurring_problem

DAY = dt.timedelta(days=1)


def test_an_agent_moved_to_another_team_is_told_why_in_the_row(page, log_in):
    now = timezone.now()
    task = recurring_problem("C-TERMINAL", "Corner Café", now - DAY)  # a task of team service
    agent = make_user("anna", role="agent", team="service")
    log_in(agent)
    page.goto("/actions/")
    page.watch.wait_for(f"[data-testid=done-{task.pk}]")

    # While the page is open, the agent moves to another team: the button they see is no longer theirs.
    agent.team = Team.objects.get(key="sales")
    agent.save(update_fields=["team"])
    with page.expect_response(lambda response: response.url.endswith("/actions/")) as answer:
        page.click(f"[data-testid=done-{task.pk}]")

    assert answer.value.status == 403
    refused = page.locator(f"[data-testid=refused-{task.pk}]")
    refused.wait_for()
    assert refused.inner_text() == "Only agents and CX managers of the task's team complete it."
    row = page.locator(f"[data-testid=task-{task.pk}]")
    assert "C-TERMINAL" in row.inner_text()  # the row is still there, the reason in it
    assert page.locator("h1").inner_text() == "Actions"  # the page was not replaced
    assert "another role" not in page.content()
    assert page.locator(f"[data-testid=done-{task.pk}]").count() == 0
    page.watch.screenshot("actions-done-refused")
    # The 403 itself is the only thing the page did wrong (Chromium logs a failed request as a console error).
    assert page.watch.http_errors == [f"403 {page.url}"]
    assert all("403" in message for message in page.watch.console_errors), page.watch.console_errors

    page.goto("/actions/?team=service&kind=all")
    page.watch.wait_for(f"[data-testid=task-{task.pk}]")
    assert page.locator(f"[data-testid=done-{task.pk}]").count() == 0  # now the queue offers no "Done" there
    task.refresh_from_db()
    assert task.status == "open"
