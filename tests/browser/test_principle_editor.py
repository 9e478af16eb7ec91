"""Writing a principle in the browser: a typo in a fact is underlined with its fix, one click applies it, the
examples pass or fail as the condition changes, and the draft is saved."""

from __future__ import annotations

from cxcore.factories import make_user
from membrane.models.principles import Principle


def _example(page, index: int, name: str, facts: str) -> None:
    page.click("[data-testid=add-example]")
    row = page.locator("[data-testid=example-row]").nth(index)
    row.locator("input[name=ex_name]").fill(name)
    row.locator("input[name=ex_facts]").fill(facts)


def test_a_typo_is_fixed_in_one_click_and_the_examples_follow(page, log_in):
    carla = make_user("carla", role="cx_manager", team="cx")
    log_in(carla)
    page.goto("/principles/new/")
    page.watch.wait_for("#id_condition")
    page.fill("#id_title", "Quiet while tickets are open")
    page.fill("#id_slug", "quiet-open-tickets")

    page.locator("#id_condition").press_sequentially("open_ticket > 0")

    message = page.locator("[data-testid=condition-message]")
    message.wait_for()
    assert message.inner_text() == "unknown fact 'open_ticket' — did you mean 'open_tickets'?"
    underlined = page.locator("#condition-mirror mark.cond-error")
    assert underlined.inner_text() == "open_ticket"
    # The mark lies under the word it marks: the copy behind the textarea holds the same text, left-aligned.
    box, mark = page.locator("#id_condition").bounding_box(), underlined.bounding_box()
    assert abs(mark["x"] - box["x"]) < 20 and mark["width"] > 40
    fix = page.locator("[data-testid=condition-fix]")
    assert " ".join(fix.inner_text().split()) == "Use open_tickets"

    fix.click()

    page.locator("[data-testid=condition-ok]").wait_for()
    assert page.input_value("#id_condition") == "open_tickets > 0"
    assert page.locator("#condition-mirror mark").count() == 0
    page.locator("[data-testid=match-count]", has_text="Holds for").wait_for()

    _example(page, 0, "a ticket open", "open_tickets = 2")
    _example(page, 1, "no ticket open", "open_tickets = 0")
    statuses = page.locator("[data-testid=example-status]")
    statuses.nth(1).locator(".badge-example-fail").wait_for()
    assert statuses.nth(0).locator(".badge").inner_text().lower() == "pass"
    readiness = page.locator("[data-testid=readiness]")
    assert "blocked by 1 example: 'no ticket open'" in readiness.inner_text()

    # The example said the wrong thing: it expects no match when no ticket is open.
    page.locator("[data-testid=example-row]").nth(1).locator("select[name=ex_expect]").select_option("no_match")
    statuses.nth(1).locator(".badge-example-pass").wait_for()
    page.locator("[data-testid=readiness]", has_text="All 2 examples pass.").wait_for()

    # A fact from the panel goes in at the cursor.
    page.locator("#id_condition").press("End")
    page.locator("#id_condition").press_sequentially(" and ")
    page.fill("#fact-filter", "eta")
    page.click("[data-testid=fact-eta_given]")
    assert page.input_value("#id_condition") == "open_tickets > 0 and eta_given"
    page.locator("[data-testid=condition-ok]", has_text="eta_given").wait_for()

    page.click("[data-testid=save]")
    page.wait_for_url("**/principles/quiet-open-tickets/v1/edit/")
    version = Principle.objects.get(slug="quiet-open-tickets").versions.get()
    assert version.condition == "open_tickets > 0 and eta_given"
    assert [example["name"] for example in version.examples] == ["a ticket open", "no ticket open"]
    assert version.examples[1]["expect_match"] is False
    page.watch.assert_clean()
