"""An agent works the task queue in a real browser: sees a prescribed task, clicks Done, sees it completed."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from cxcore.factories import CustomerFactory, SignalFactory, make_user
from membrane.actions.services import actions_sync
from membrane.models.decisions import AgentTask, TaskStatus
from membrane.runs.services import stages_evaluate_all

DAY = dt.timedelta(days=1)


def recurring_problem(external_id: str, name: str, at: dt.datetime):
    """The reference story: the same terminal problem four times; an agent is to call (team service)."""
    customer = CustomerFactory(external_id=external_id, name=name)
    for n in range(4):
        SignalFactory(
            customer=customer,
            kind="ticket_opened",
            ticket_ref=f"{external_id}-{n}",
            issue_key="terminal",
            occurred_at=at - (4 - n) * DAY,
        )
    actions_sync(customer_ids=[customer.pk], at=at)
    return AgentTask.objects.get(customer=customer, kind="agent_contact")


def test_an_agent_completes_a_task(page, log_in):
    now = timezone.now()
    overdue = recurring_problem("C-TERMINAL", "Corner Café", now - 2 * DAY)
    fresh = recurring_problem("C-READER", "Bakery Sonne", now)
    stages_evaluate_all(as_of=now)  # the facts the page shows as the why
    agent = make_user("anna", role="agent", team="service")
    log_in(agent)

    page.locator("nav.sidenav a", has_text="Actions").click()
    page.watch.wait_for(f"[data-testid=task-{fresh.pk}]")
    rows = page.locator("[data-testid=open-tasks] tbody tr")
    assert rows.first.get_attribute("data-testid") == f"task-{overdue.pk}"  # overdue first
    assert rows.first.locator("[data-testid=overdue]").is_visible()
    row = page.locator(f"[data-testid=task-{fresh.pk}]")
    assert "An agent calls after more than three recurrences" in row.inner_text()
    assert "max_issue_recurrence_90d" in row.inner_text()  # why: the fact the condition reads
    assert row.locator("a", has_text="C-READER").get_attribute("href") == "/customers/C-READER/"
    page.watch.screenshot("actions-before-done")

    page.click(f"[data-testid=done-{fresh.pk}]")
    page.watch.wait_for(f"[data-testid=undo-{fresh.pk}]")  # the confirmation, in the task's row
    assert "Done" in page.locator(f"[data-testid=task-{fresh.pk}]").inner_text()
    assert page.url.endswith("/actions/")  # swapped in place by htmx, no reload
    fresh.refresh_from_db()
    assert (fresh.status, fresh.done_by_id) == (TaskStatus.DONE, agent.pk)
    page.watch.screenshot("actions-after-done")
    page.reload()
    page.watch.wait_for(f"[data-testid=done-task-{fresh.pk}]")
    assert page.locator(f"[data-testid=task-{fresh.pk}]").count() == 0
    assert "C-READER" in page.locator("[data-testid=done-tasks]").inner_text()
    page.watch.assert_clean()
