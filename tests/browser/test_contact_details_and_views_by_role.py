"""In a browser, at 1440 and 390 px: a marketer's 360° page and customer list show no email or phone, and a
search by email finds nothing; a CX manager's page shows them and who viewed the customer (issue 18)."""

from __future__ import annotations

import shutil
from pathlib import Path

from cxcore.factories import make_user
from cxcore.models import Customer
from tests.browser.test_tables_fit_a_phone import MERCHANT, PROBLEMS, the_story

EMAIL = "owner@terminal-42.example"
PHONE = "+49 30 4242420"
SHOTS = Path("/work/notes/shots")
WIDTHS = {"1440": {"width": 1440, "height": 900}, "390": {"width": 390, "height": 844}}


def _look(page, url: str, name: str) -> str:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    text = page.locator("main").inner_text() if page.locator("main").count() else page.inner_text("body")
    for width, viewport in WIDTHS.items():
        page.set_viewport_size(viewport)
        assert not page.evaluate(PROBLEMS), (url, width, page.evaluate(PROBLEMS))
        path = page.watch.screenshot(f"h11-{name}-{width}")
        if SHOTS.is_dir():
            shutil.copy(path, SHOTS / path.name)
    page.set_viewport_size(WIDTHS["1440"])
    return text


def test_a_marketer_sees_no_contact_details_and_a_cx_manager_sees_who_looked(page, log_in):
    the_story()
    Customer.objects.filter(external_id=MERCHANT).update(email=EMAIL, phone=PHONE)
    marketer = make_user("mark", role="marketer", team="marketing_devices")
    manager = make_user("carla", role="cx_manager", team="cx")

    log_in(marketer)
    seen = _look(page, f"/customers/{MERCHANT}/", "360-marketer")
    assert EMAIL not in seen and PHONE not in seen and "Viewed by" not in seen
    assert EMAIL not in page.content() and PHONE not in page.content()
    page.reload()
    assert EMAIL not in page.content()
    listed = _look(page, "/customers/?q=merchant", "list-marketer")
    assert MERCHANT in listed and EMAIL not in page.content()
    page.fill("#customer-q", "owner@terminal")
    page.wait_for_selector("[data-testid=results] .empty")
    assert MERCHANT not in page.locator("[data-testid=results]").inner_text()
    page.go_back()
    page.wait_for_load_state("networkidle")
    page.context.clear_cookies()

    log_in(manager)
    seen = _look(page, f"/customers/{MERCHANT}/", "360-cx-manager")
    assert EMAIL in seen and PHONE in seen
    viewed = page.locator("[data-testid=viewed-by]").inner_text()
    assert "carla" in viewed and "mark" in viewed
    assert viewed.index("carla") < viewed.index("mark")  # newest first
    page.click("[data-testid=all-views]")
    page.wait_for_url(f"**/customer-views/?customer={MERCHANT}")
    listed = _look(page, page.url, "views-cx-manager")
    assert listed.count(MERCHANT) >= 3 and "mark" in listed and "carla" in listed
    page.go_back()
    page.wait_for_url(f"**/customers/{MERCHANT}/")
    page.watch.assert_clean()
