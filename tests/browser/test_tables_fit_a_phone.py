"""Every console table is readable at 390 px: the page never scrolls sideways, and no cell is cut off by a
box that hides its overflow (a cell either fits, or its table scrolls inside its card, or its rows stack)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cxcore.demo.generator import SOURCE, demo_generate
from cxcore.factories import make_user
from cxcore.importers.loading import population_load
from cxcore.models import Customer
from membrane.actions.services import actions_sync
from membrane.decisions.services import decision_make
from membrane.decisions.values import DecisionInputs, Interaction
from membrane.models import EvaluationRun, Principle
from membrane.runs.services import stages_evaluate_all

PHONE = {"width": 390, "height": 844}
MERCHANT = "merchant-terminal-42"

# Returns what does not fit: the page wider than the screen, and every table cell that sticks out of the
# nearest ancestor hiding its overflow before any ancestor that scrolls (which would let one reach it).
PROBLEMS = """() => {
  const width = document.documentElement.clientWidth;
  const problems = [];
  if (document.documentElement.scrollWidth > width) {
    problems.push(`the page scrolls sideways: ${document.documentElement.scrollWidth}px > ${width}px`);
  }
  for (const cell of document.querySelectorAll("td, th")) {
    const box = cell.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // not shown
    for (let el = cell.parentElement; el; el = el.parentElement) {
      const overflow = getComputedStyle(el).overflowX;
      if (overflow === "auto" || overflow === "scroll") break;
      const clips = overflow === "hidden" || overflow === "clip" || el === document.documentElement;
      if (!clips) continue;
      const frame = el === document.documentElement ? {left: 0, right: width} : el.getBoundingClientRect();
      if (box.right > frame.right + 1 || box.left < frame.left - 1) {
        const table = cell.closest("table");
        const where = table && (table.dataset.testid || table.className) || "?";
        problems.push(`${where}: "${cell.innerText.trim().slice(0, 40)}" is cut off by ${el.tagName}.${el.className}`);
      }
      break;
    }
  }
  return problems;
}"""


def the_story():
    now = timezone.now()
    data = demo_generate(customers=30, seed=1, now=now)
    population_load(customers=data.customers, signals=data.signals, source=SOURCE)
    stages_evaluate_all(as_of=now)
    actions_sync(at=now)
    customer = Customer.objects.get(external_id=MERCHANT)
    for category in ("marketing", "survey", "service_update"):
        interaction = Interaction(team="marketing_devices", category=category, channel="email")
        decision_make(inputs=DecisionInputs(customer), interaction=interaction, asked_by="test")


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(viewport=PHONE, base_url=live_server.url, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    from tests.browser.conftest import PageWatch

    page.watch = PageWatch(page, origin=live_server.url)
    yield page
    context.close()


def test_every_table_fits_a_phone(phone):
    the_story()
    admin = make_user("ada", role="admin", team="cx")
    phone.goto("/login/")
    phone.fill("input[name=username]", admin.username)
    phone.fill("input[name=password]", "pw-for-tests-1")
    phone.click("button[type=submit]")
    phone.wait_for_url("**/")
    principle = Principle.objects.order_by("slug").first()
    run = EvaluationRun.objects.order_by("-pk").first()
    pages = [
        "/",
        "/customers/",
        f"/customers/{MERCHANT}/",
        "/actions/?team=all",
        "/principles/",
        f"/principles/{principle.slug}/",
        "/stages/",
        "/stages/crisis/",
        "/decisions/",
        "/runs/",
        f"/runs/{run.pk}/",
    ]
    found = {}
    for url in pages:
        phone.goto(url)
        phone.wait_for_load_state("networkidle")
        assert phone.locator("table").count() > 0, f"{url} shows no table to check"
        if problems := phone.evaluate(PROBLEMS):
            found[url] = problems
    assert not found, found
    phone.watch.assert_clean()


def test_a_reason_opens_on_a_tap(phone):
    the_story()
    agent = make_user("anna", role="agent", team="service")
    phone.goto("/login/")
    phone.fill("input[name=username]", agent.username)
    phone.fill("input[name=password]", "pw-for-tests-1")
    phone.click("button[type=submit]")
    phone.wait_for_url("**/")
    phone.goto(f"/customers/{MERCHANT}/")
    cell = phone.locator("[data-testid=may-we-marketing-email]")
    cell.scroll_into_view_if_needed()
    assert not cell.locator("[data-testid=reason]").is_visible()

    cell.locator("summary").tap()

    reason = cell.locator("[data-testid=reason]")
    assert reason.is_visible()
    assert "No marketing or sales offers during a crisis" in reason.inner_text()
    phone.watch.assert_clean()
