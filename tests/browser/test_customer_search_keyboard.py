"""The customer search in a browser, at 1440 and 390 pixels wide: live results while typing, ↓ ↑ and Enter
through them to a customer's 360° page, Back to the same results, and the reference merchant found by a phone
number written otherwise than stored, with their stage."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from cxcore.factories import CustomerFactory, make_user
from membrane.models import CustomerStage

SHOTS = Path("/work/notes/shots")


def _customers():
    now = timezone.now()
    rows = [
        ("ref-merchant", "Kiez Kaffee", "+49 30 4242420", "smb", "crisis", 3),
        ("c-1", "Corner Bakery", "+49 30 1111111", "smb", "active", 40),
        ("c-2", "Corner Café", "030 222 2222", "consumer", "loyal", 200),
        ("c-3", "Corner Deli", "(040) 333-3333", "enterprise", "at_risk", 8),
        ("d-1", "Dormant Dieter", "+49 89 4444444", "consumer", "dormant", 90),
    ]
    for external_id, name, phone, segment, stage, days in rows:
        customer = CustomerFactory(
            external_id=external_id,
            name=name,
            phone=phone,
            segment=segment,
            email=f"{external_id}@example.com",
        )
        CustomerStage.objects.create(
            customer=customer, stage=stage, since=now - dt.timedelta(days=days, hours=2), evaluated_through=now
        )


@pytest.mark.parametrize("width", [1440, 390])
def test_keyboard_through_the_results_and_search_by_phone(page, log_in, width):
    page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})
    _customers()
    log_in(make_user("anna", role="agent", team="service"))
    rows = page.locator("[data-testid=customer-results] tbody tr")

    page.goto("/customers/")
    page.watch.wait_for("[data-testid=customer-results]")
    assert rows.count() == 5
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"h6-list-{width}.png"), full_page=True)

    page.locator("#customer-q").press_sequentially("CORNER")
    page.wait_for_url("**/customers/?q=CORNER")
    page.wait_for_function("document.querySelectorAll('[data-testid=customer-results] tbody tr').length === 3")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.textContent") == "c-2"
    page.keyboard.press("Enter")
    page.wait_for_url("**/customers/c-2/")
    assert page.locator("h1").inner_text().startswith("Corner Café")

    page.go_back()
    page.wait_for_url("**/customers/?q=CORNER")
    page.wait_for_function("document.querySelectorAll('[data-testid=customer-results] tbody tr').length === 3")
    assert page.locator("#customer-q").input_value() == "CORNER"

    page.locator("#customer-q").fill("")
    page.locator("#customer-q").press_sequentially("0049 30 4242")
    page.wait_for_url("**/customers/?q=0049%2030%204242")
    page.wait_for_function("document.querySelectorAll('[data-testid=customer-results] tbody tr').length === 1")
    assert "crisis" in rows.first.inner_text()
    page.locator("#customer-q").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url("**/customers/ref-merchant/")
    assert page.locator("h1").inner_text().startswith("Kiez Kaffee")
    page.watch.assert_clean()


def test_filters_by_stage_survive_reload_and_back(page, log_in):
    _customers()
    log_in(make_user("anna", role="agent", team="service"))
    rows = page.locator("[data-testid=customer-results] tbody tr")

    page.goto("/customers/?q=crisis")
    page.watch.wait_for("[data-testid=suggestion]")
    page.click("[data-testid=suggestion] a")
    page.wait_for_url("**/customers/?stage=crisis")
    assert rows.count() == 1 and "ref-merchant" in rows.first.inner_text()
    page.select_option("#filter-stage", "")
    page.wait_for_url("**/customers/")
    page.wait_for_function("document.querySelectorAll('[data-testid=customer-results] tbody tr').length === 5")
    page.select_option("#filter-segment", "smb")
    page.wait_for_url("**/customers/?segment=smb")
    page.wait_for_function("document.querySelectorAll('[data-testid=customer-results] tbody tr').length === 2")
    page.reload()
    assert page.locator("#filter-segment").input_value() == "smb" and rows.count() == 2
    page.go_back()
    page.wait_for_url("**/customers/")
    page.go_back()
    page.wait_for_url("**/customers/?stage=crisis")
    page.wait_for_function("document.querySelectorAll('[data-testid=customer-results] tbody tr').length === 1")
    assert page.locator("#filter-stage").input_value() == "crisis"
    page.watch.assert_clean()


def test_a_paste_longer_than_the_box_holds_is_said(page, log_in):
    log_in(make_user("anna", role="agent", team="service"))
    page.goto("/customers/")
    page.watch.wait_for("#customer-q")
    assert page.locator("#customer-q").get_attribute("maxlength") == "200"

    page.evaluate(
        """() => {
            const data = new DataTransfer();
            data.setData("text", "x".repeat(20000));
            document.getElementById("customer-q").dispatchEvent(
                new ClipboardEvent("paste", {clipboardData: data, bubbles: true}));
        }"""
    )

    note = page.locator("#search-too-long")
    note.wait_for()
    assert note.inner_text() == (
        "The search holds at most 200 characters; the pasted text had 20,000, so only its first 200 are searched."
    )
    page.watch.assert_clean()
