"""Issue 17's acceptance: an agent's day with the reference merchant, at 1440 and at 390 px.

The agent finds the merchant by phone, sees "crisis" and why, records the ETA they just gave, sees the survey
turn from suppress to allow without a reload, claims and completes the agent-contact task, undoes and redoes it.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cxcore.demo.generator import SOURCE, demo_generate
from cxcore.factories import make_user
from cxcore.importers.loading import population_load
from cxcore.models import Signal
from membrane.actions.services import actions_sync
from membrane.models.decisions import AgentTask, TaskStatus
from membrane.runs.services import stages_evaluate_all

from .conftest import PASSWORD, PageWatch

MERCHANT = "merchant-terminal-42"  # in crisis: a fifth failure open for four days, no ETA (DESIGN.md section 13)
PHONE = "+49 30 4242420"
SHOTS = "/work/notes/shots"
VIEWPORTS = {"1440": {"width": 1440, "height": 900}, "390": {"width": 390, "height": 844}}


def reference_story():
    now = timezone.now()
    data = demo_generate(customers=20, seed=1, now=now)
    population_load(customers=data.customers, signals=data.signals, source=SOURCE)
    stages_evaluate_all(as_of=now)
    actions_sync(at=now)


@pytest.fixture(params=list(VIEWPORTS))
def agent_page(request, browser, live_server):
    width = request.param
    context = browser.new_context(
        viewport=VIEWPORTS[width], base_url=live_server.url, is_mobile=width == "390", has_touch=width == "390"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.watch = PageWatch(page, origin=live_server.url)
    page.width = width
    yield page
    context.close()


def test_an_agent_acts_on_the_merchant_in_crisis(agent_page):
    page = agent_page
    reference_story()
    agent = make_user("anna", role="agent", team="service")
    page.goto("/login/")
    page.fill("input[name=username]", agent.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")

    # Found by phone, typed as the merchant says it.
    page.goto("/customers/")
    page.fill("#customer-q", PHONE)
    expect(page.locator("[data-testid=customer-results] tbody tr")).to_have_count(1)  # the search swapped in
    page.locator("[data-testid=customer-results] a", has_text=MERCHANT).click()
    page.wait_for_url(f"**/customers/{MERCHANT}/")

    # Crisis, and why: the rule that made it and what it read.
    assert page.locator("[data-testid=stage]").inner_text().strip() == "crisis"
    why = page.locator("[data-testid=stage-history] tbody tr").first.inner_text()
    assert "crisis" in why and "open_tickets > 0" in why
    survey = page.locator("[data-testid=may-we-survey-email]")
    assert survey.get_attribute("data-verdict") == "suppress"
    survey.locator("summary").click()  # the reason, on a tap or a click
    assert "ETA" in survey.locator("[data-testid=reason]").inner_text()
    page.evaluate("window.stillThePage = true")  # gone if anything below reloads the page

    # The ETA the agent just gave, in the merchant's time.
    eta = (timezone.now() + dt.timedelta(days=2)).astimezone(zoneinfo.ZoneInfo("Europe/Berlin"))
    desk = page.locator("[data-testid=eta-form]")
    desk.locator("select[name=ticket]").select_option(f"{MERCHANT}-T5")
    desk.locator("input[name=eta]").fill(eta.strftime("%Y-%m-%dT%H:%M"))
    desk.locator("[data-testid=record-eta]").click()
    page.locator("[data-testid=desk-done]").wait_for()
    page.wait_for_function("document.querySelector('[data-testid=may-we-survey-email]').dataset.verdict === 'allow'")
    page.locator("[data-testid=timeline] [data-testid=signal]", has_text="ETA").first.wait_for()
    assert Signal.objects.filter(customer__external_id=MERCHANT, source="console", kind="ticket_eta_given").count() == 1
    assert page.evaluate("window.stillThePage") is True
    page.screenshot(path=f"{SHOTS}/h7-360-{page.width}.png", full_page=True)

    # The agent-contact task: claim it, complete it, undo, redo.
    task = AgentTask.objects.get(customer__external_id=MERCHANT, kind="agent_contact", status=TaskStatus.OPEN)
    row = page.locator(f"[data-testid=open-task-{task.pk}]")
    row.locator(f"[data-testid=claim-{task.pk}]").click()
    row.locator("[data-testid=claimed-by]").wait_for()
    row.locator(f"[data-testid=close-{task.pk}]").click()
    row.locator("textarea[name=note]").fill("Called: apologised, a technician comes Friday.")
    row.locator(f"[data-testid=complete-{task.pk}]").click()
    page.locator("[data-testid=task-outcome]", has_text="Completed Agent contact").wait_for()
    assert page.locator(f"[data-testid=open-task-{task.pk}]").count() == 0
    task.refresh_from_db()
    assert (task.status, task.done_by_id, task.note) == (
        TaskStatus.DONE,
        agent.pk,
        "Called: apologised, a technician comes Friday.",
    )

    page.locator("[data-testid=undo]").click()
    page.locator("[data-testid=task-outcome]", has_text="Undone").wait_for()
    task.refresh_from_db()
    assert (task.status, task.done_by_id, task.claimed_by_id) == (TaskStatus.OPEN, None, agent.pk)

    row = page.locator(f"[data-testid=open-task-{task.pk}]")
    row.locator(f"[data-testid=close-{task.pk}]").click()
    row.locator(f"[data-testid=complete-{task.pk}]").click()
    page.locator("[data-testid=task-outcome]", has_text="Completed Agent contact").wait_for()
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert page.evaluate("window.stillThePage") is True
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")

    # A reload shows what was stored; Back returns to the search that found the merchant.
    page.reload()
    assert page.locator("[data-testid=may-we-survey-email]").get_attribute("data-verdict") == "allow"
    assert page.locator(f"[data-testid=open-task-{task.pk}]").count() == 0
    page.go_back()
    page.wait_for_url("**/customers/?**")
    expect(page.locator("[data-testid=customer-results] tbody tr")).to_have_count(1)
    page.watch.assert_clean()
