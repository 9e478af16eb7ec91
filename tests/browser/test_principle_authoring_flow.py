"""The CX manager's whole flow in the browser, as two managers of different teams (issue 14's acceptance).

Carla (team cx) writes v2 of "No survey before an ETA" with a typo in a fact, takes the suggested fix, adds a
failing and a passing example and sees publishing blocked until she fixes the failing one, and submits. Sven
(team service) finds it in his review queue, reads the diff and the impact, and approves. Carla publishes: a
decision through the API now follows v2. She rolls back to v1: the decision follows v1 again.
"""

from __future__ import annotations

import datetime as dt
import json

from django.test import Client
from django.utils import timezone

from cxcore.factories import make_user
from cxcore.models import ApiToken
from membrane.models.principles import PrincipleVersion
from membrane.runs.services import stages_evaluate_all
from membrane.tests.stage_helpers import ingest

SLUG = "no-survey-before-eta"


def _survey_decision(token: str) -> dict:
    body = {"customer": "M-ETA", "team": "research", "category": "survey", "channel": "email"}
    answer = Client().post(
        "/api/v1/decisions", json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert answer.status_code == 200, answer.content
    return answer.json()


def _token() -> str:
    key = ApiToken.generate_key()
    ApiToken.objects.create(
        name="survey-tool", key_hash=ApiToken.hash_key(key), prefix=key[:8], scopes=["decide", "ingest"]
    )
    return key


def _example(page, index: int, name: str, facts: str) -> None:
    page.click("[data-testid=add-example]")
    row = page.locator("[data-testid=example-row]").nth(index)
    row.locator("input[name=ex_name]").fill(name)
    row.locator("input[name=ex_facts]").fill(facts)
    row.locator("select[name=ex_category]").select_option("survey")


def _expect(page, index: int, expectation: str) -> None:
    page.locator("[data-testid=example-row]").nth(index).locator("select[name=ex_expect]").select_option(expectation)


def _log_out(page) -> None:
    page.context.clear_cookies()


def test_two_managers_write_review_publish_and_roll_back_a_principle(page, log_in):
    carla = make_user("carla", role="cx_manager", team="cx")
    sven = make_user("sven", role="cx_manager", team="service")
    now = timezone.now()
    # A merchant with a ticket open that has an ETA: v1 lets the survey through (an ETA was given), v2 will not.
    ingest("M-ETA", "ticket_opened", now - dt.timedelta(hours=5), ticket_ref="T-1", issue_key="terminal")
    ingest(
        "M-ETA",
        "ticket_eta_given",
        now - dt.timedelta(hours=4),
        ticket_ref="T-1",
        eta=(now + dt.timedelta(days=1)).isoformat(),
    )
    token = _token()
    profile = Client().put(
        "/api/v1/customers/M-ETA",
        json.dumps({"name": "Terminal Café", "consent": {"email": True}}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert profile.status_code == 200, profile.content
    before = _survey_decision(token)
    assert before["verdict"] == "allow", before
    # The impact preview reads the population's stored facts, as the last run left them.
    stages_evaluate_all(as_of=timezone.now())

    # Carla starts v2 from the principle's page and writes its condition with a typo.
    log_in(carla)
    page.goto(f"/principles/{SLUG}/")
    page.click("[data-testid=restore-1]")  # "Edit as new draft": v2, a copy of v1
    page.click("[data-testid=edit-2]")
    page.watch.wait_for("#id_condition")
    page.fill("#id_condition", "")
    page.locator("#id_condition").press_sequentially("open_ticket > 0")
    message = page.locator("[data-testid=condition-message]")
    message.wait_for()
    assert "did you mean 'open_tickets'?" in message.inner_text()
    assert page.locator("#condition-mirror mark.cond-error").inner_text() == "open_ticket"
    page.click("[data-testid=condition-fix]")
    page.locator("[data-testid=condition-ok]").wait_for()
    assert page.input_value("#id_condition") == "open_tickets > 0"

    # v1's examples came along: the one that expected an allow with an ETA given now fails, which is the point
    # of v2. She adds one passing and one failing example; publishing is blocked, naming the failures.
    statuses = page.locator("[data-testid=example-status]")
    carried = statuses.count()
    _example(page, carried, "ticket open with an ETA", "open_tickets = 1, eta_given = true")
    _example(page, carried + 1, "no ticket at all", "open_tickets = 0")
    statuses.nth(carried).locator(".badge-example-pass").wait_for()
    statuses.nth(carried + 1).locator(".badge-example-fail").wait_for()
    readiness = page.locator("[data-testid=readiness]")
    assert "'no ticket at all'" in readiness.inner_text()
    failing_carried = [i for i in range(carried) if statuses.nth(i).locator(".badge-example-fail").count()]
    assert failing_carried, "v1's ETA example should fail under v2"

    # She fixes them: nothing open does not apply; with an ETA, v2 suppresses.
    _expect(page, carried + 1, "no_match")
    for index in failing_carried:
        _expect(page, index, "suppress")
    page.locator("[data-testid=readiness]", has_text="examples pass").wait_for()
    assert page.locator("[data-testid=example-status] .badge-example-fail").count() == 0
    page.fill("#id_change_note", "Surveys wait while any ticket is open, ETA or not.")
    page.click("[data-testid=save]")
    page.wait_for_url(f"**/principles/{SLUG}/v2/edit/")
    draft = PrincipleVersion.objects.get(principle__slug=SLUG, number=2)
    assert draft.condition == "open_tickets > 0"

    page.goto(f"/principles/{SLUG}/")
    page.click("[data-testid=submit-2]")
    page.locator("[data-testid=approve-2]").wait_for(state="detached")
    assert PrincipleVersion.objects.get(pk=draft.pk).status == "in_review"

    # Sven reviews: the queue, the diff, the impact, then approves.
    _log_out(page)
    log_in(sven)
    page.goto("/principles/review/")
    page.locator(f"[data-testid=queue-item-{SLUG}-2]").wait_for()
    page.click(f"[data-testid=queue-diff-{SLUG}-2]")
    sides = page.locator("[data-testid=sides]")
    sides.wait_for()
    assert "open_tickets > 0 and not eta_given" in sides.inner_text()
    assert "open_tickets > 0" in sides.inner_text()
    page.goto(f"/principles/{SLUG}/")
    # The impact loads when its slot is revealed (it replaces the slot).
    page.locator("[data-testid=version-2]").scroll_into_view_if_needed()
    page.mouse.wheel(0, 600)
    changes = page.locator("[data-testid=impact-changes]")
    changes.wait_for()
    # M-ETA's surveys go from allow to suppress, on every channel it consented to.
    survey_email = changes.locator("tr", has_text="survey").filter(has_text="email")
    assert survey_email.locator("td").nth(1).inner_text() == "1"
    assert survey_email.get_by_role("link", name="M-ETA").count() == 1
    page.click("[data-testid=approve-2]")
    page.locator("[data-testid=approve-2]").wait_for(state="detached")
    assert PrincipleVersion.objects.get(pk=draft.pk).approver == sven

    # Carla publishes; the API now answers by v2.
    _log_out(page)
    log_in(carla)
    page.goto(f"/principles/{SLUG}/")
    page.click("[data-testid=publish-2]")
    page.locator("[data-testid=publish-2]").wait_for(state="detached")
    after = _survey_decision(token)
    assert after["verdict"] == "suppress"
    assert after["decided_by"] == {"principle": SLUG, "version": 2}

    # She rolls back to v1: a copy of v1 is published as v3 and the API answers by it again.
    page.click("[data-testid=rollback-1]")
    page.locator("[data-testid=version-3]").wait_for()
    again = _survey_decision(token)
    assert again["verdict"] == "allow", again
    v3 = PrincipleVersion.objects.get(principle__slug=SLUG, number=3)
    assert v3.status == "published" and v3.condition == "open_tickets > 0 and not eta_given"
    audit = page.locator("[data-testid=audit]").inner_text()
    for step in ("submitted for review", "approved", "published", "rolled back"):
        assert step in audit
    page.watch.assert_clean()
