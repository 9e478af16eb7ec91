"""Editing the stage rules in the browser: a new draft, a typo in a rule's condition underlined and fixed in one
click, a failing example seen failing and then passing, the draft saved, and the moves it would make previewed."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from cxcore.factories import make_user
from membrane.models import StageRuleSet
from membrane.models.stages import RuleSetStatus
from membrane.runs.services import stages_evaluate_all
from membrane.tests.stage_helpers import ingest, ticket


def test_a_draft_of_the_stage_rules_is_fixed_tested_saved_and_previewed(page, log_in):
    now = timezone.now()
    ticket("T1", "t-1", opened=now - dt.timedelta(days=2))
    ingest("P1", "purchase", now - dt.timedelta(days=3), amount="10")
    ingest("P2", "purchase", now - dt.timedelta(days=5), amount="10")
    stages_evaluate_all(as_of=now)
    carla = make_user("carla", role="cx_manager", team="cx")
    log_in(carla)

    page.goto("/stages/")
    page.click("[data-testid=stage-rules-versions]")
    page.click("[data-testid=open-draft-1]")
    page.fill("#draft-note-1", "Crisis needs two open tickets")
    page.click("[data-testid=draft-1]")
    page.wait_for_url("**/stages/rules/v2/edit/")
    page.watch.wait_for("[data-testid=rule-condition]")

    first = page.locator("[data-testid=rule-row]").first
    condition = first.locator("[data-testid=rule-condition]")
    assert condition.input_value() == "open_tickets > 0"
    condition.press("End")
    condition.press_sequentially(" and open_tikets >= 1")
    underlined = first.locator(".cond-mirror mark.cond-error")
    underlined.wait_for()
    assert underlined.inner_text() == "open_tikets"
    box, mark = condition.bounding_box(), underlined.bounding_box()
    assert box["x"] < mark["x"] < box["x"] + box["width"] and mark["width"] > 40
    assert "did you mean 'open_tickets'" in first.locator("[data-testid=condition-message]").inner_text()
    page.locator("[data-testid=readiness]", has_text="write or fix the condition of rule 1").wait_for()

    first.locator("[data-testid=condition-fix]").click()
    first.locator("[data-testid=condition-ok]").wait_for()
    assert condition.input_value() == "open_tickets > 0 and open_tickets >= 1"
    assert first.locator(".cond-mirror mark").count() == 0

    page.click("[data-testid=add-example]")
    row = page.locator("[data-testid=example-row]").last
    row.locator("input[name=ex_name]").fill("an open ticket")
    row.locator("input[name=ex_facts]").fill("open_tickets = 1")
    row.locator("select[name=ex_expect]").select_option("active")
    row.locator(".badge-example-fail").wait_for()
    assert "expected active, got crisis" in row.locator("[data-testid=example-status]").inner_text()
    page.locator("[data-testid=readiness]", has_text="blocked by 1 example: 'an open ticket'").wait_for()

    row.locator("select[name=ex_expect]").select_option("crisis")
    row.locator(".badge-example-pass").wait_for()
    page.locator("[data-testid=readiness]", has_text="The example passes.").wait_for()

    page.click("[data-testid=save]")
    page.locator(".message", has_text="Saved stage rules v2").wait_for()
    draft = StageRuleSet.objects.get(number=2)
    assert draft.status == RuleSetStatus.DRAFT
    assert draft.rules.get(position=1).condition == "open_tickets > 0 and open_tickets >= 1"
    assert draft.examples == [{"name": "an open ticket", "facts": {"open_tickets": 1}, "expect_stage": "crisis"}]

    page.locator("[data-testid=moves-summary]", has_text="nobody would change stage").wait_for()
    page.locator("[data-testid=moves] .chart .main-svg").first.wait_for()  # plotly drew the chart
    # The first rule now gives dormant: the customer with an open ticket would move there.
    page.locator("[data-testid=rule-row]").first.locator("[data-testid=rule-stage]").select_option("dormant")
    page.click("[data-testid=preview-moves]")
    page.locator("[data-testid=moves-summary]", has_text="1 would change stage").wait_for()
    assert page.locator("[data-testid=move-crisis-dormant]").inner_text().split()[-1] == "1"

    page.watch.assert_clean()
