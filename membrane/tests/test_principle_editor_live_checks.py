"""The editor's live parts, as the page asks for them while one types: the condition's problems placed in its
text with their one-click fix, and the examples run against the unsaved content."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from membrane.principles.editor_live import condition_report
from membrane.tests.principle_editor_support import editor_post, example_row

HTMX = {"HX-Request": "true"}


def _check(client, **fields) -> str:
    response = client.post("/principles/editor/check/", editor_post(**fields), headers=HTMX)
    assert response.status_code == 200
    return response.content.decode()


def _fixed(source: str) -> str:
    """The condition after clicking the first problem's fix, as the page's script applies it (UTF-16 offsets)."""
    mark = condition_report(source).marks[0]
    units = source.encode("utf-16-le")
    before, after = units[: mark.fix_start * 2].decode("utf-16-le"), units[mark.fix_end * 2 :].decode("utf-16-le")
    assert units[mark.fix_start * 2 : mark.fix_end * 2].decode("utf-16-le") == mark.replaced
    return before + mark.replacement + after


def test_a_typo_in_a_fact_is_underlined_with_its_fix(client, cx_manager):
    client.force_login(cx_manager)

    fragment = _check(client, condition='stage == "crisis" and open_ticket > 0')

    assert "unknown fact &#x27;open_ticket&#x27; — did you mean &#x27;open_tickets&#x27;?" in fragment
    assert "line 1, column 23" in fragment
    assert 'data-start="22" data-end="33"' in fragment and 'data-replacement="open_tickets"' in fragment
    assert '<div hx-swap-oob="innerHTML:#condition-mirror">stage == &quot;crisis&quot; and <mark' in fragment


@pytest.mark.parametrize(
    ("typed", "fixed"),
    [
        ("open_ticket > 0", "open_tickets > 0"),
        ('stage == "crisys"', 'stage == "crisis"'),
        ("stage = 'crisis'", "stage == 'crisis'"),
        ("open_tickets > 0 && eta_given", "open_tickets > 0 and eta_given"),
        ("!eta_given", "not eta_given"),
        ('stage not ["crisis"]', 'stage not in ["crisis"]'),
        ("open_tickets > 0 AND eta_given", "open_tickets > 0 and eta_given"),
        # Offsets count as a textarea counts: a character outside the BMP is two.
        ('segment == "😀" and open_ticket > 0', 'segment == "😀" and open_tickets > 0'),
    ],
)
def test_a_fix_replaces_what_the_problem_is_about(db, typed, fixed):
    assert _fixed(typed) == fixed


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.text(
        alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyz_ 0123456789=!<>&|\"'()[],.\n-") + ["😀", "é"]),
        max_size=60,
    )
)
def test_the_underlining_copy_shows_exactly_the_text_typed(db, source):
    """The marks lie under the characters they mark only if the copy behind the textarea is the same text."""
    report = condition_report(source)
    text = "".join(segment.text for segment in report.segments)
    if source:
        assert text == source or (text == source + " " and report.segments[-1].marked)
    for mark in report.marks:
        assert 0 <= mark.fix_start <= mark.fix_end <= len(source.encode("utf-16-le")) // 2
        if mark.suggestion:
            assert mark.replaced.strip() or mark.fix_start == mark.fix_end


def test_examples_pass_or_fail_as_the_condition_changes(client, cx_manager):
    client.force_login(cx_manager)
    rows = [
        example_row("ticket open", "open_tickets = 2", "match"),
        example_row("no ticket", "open_tickets = 0", "match"),
        example_row("broken", "open_tickets = two", "match"),
    ]

    fragment = _check(client, condition="open_tickets > 0", rows=rows)

    assert _status(fragment, "r0").startswith('<span class="badge badge-example-pass">pass</span>')
    assert "expected applies, got does not apply" in _status(fragment, "r1")
    assert "badge-example-invalid" in _status(fragment, "r2") and "must be a whole number" in _status(fragment, "r2")
    assert "Publishing is blocked by 2 examples: &#x27;no ticket&#x27;" in fragment

    fragment = _check(client, condition="open_tickets >= 0", rows=rows[:2])

    assert "badge-example-pass" in _status(fragment, "r1")
    assert "All 2 examples pass." in fragment


def test_a_verdict_example_follows_the_unsaved_scope_and_cap(client, cx_manager):
    client.force_login(cx_manager)
    rows = [example_row("third email", "open_tickets = 1", "suppress", category="marketing", contacts="2")]

    capped = _check(client, effect="cap", categories=["marketing"], **{"params-n": "2", "params-days": "7"}, rows=rows)
    roomier = _check(client, effect="cap", categories=["marketing"], **{"params-n": "3", "params-days": "7"}, rows=rows)
    other_scope = _check(
        client, effect="cap", categories=["upsell"], **{"params-n": "2", "params-days": "7"}, rows=rows
    )
    no_params = _check(client, effect="cap", categories=["marketing"], rows=rows)

    assert "badge-example-pass" in _status(capped, "r0")
    assert "expected suppress, got allow" in _status(roomier, "r0")
    assert "expected suppress, got allow" in _status(other_scope, "r0")
    assert "badge-example-unknown" in _status(no_params, "r0") and "parameters" in _status(no_params, "r0")


def test_examples_wait_for_a_valid_condition(client, cx_manager):
    client.force_login(cx_manager)

    fragment = _check(client, condition="open_ticket > 0", rows=[example_row("ticket", "open_tickets = 1")])

    assert "badge-example-unknown" in _status(fragment, "r0")
    assert "Publishing is blocked: the condition has errors." in fragment


def test_the_rationale_preview_is_sanitised(client, cx_manager):
    client.force_login(cx_manager)

    response = client.post(
        "/principles/editor/preview/",
        {"rationale": 'Be *kind*. <script>alert(1)</script><a href="javascript:alert(1)">x</a>'},
        headers=HTMX,
    )

    page = response.content.decode()
    assert "<em>kind</em>" in page and "<script" not in page and "javascript:" not in page


def test_the_effect_brings_its_own_parameters(client, cx_manager):
    client.force_login(cx_manager)

    cap = client.get("/principles/editor/params/", {"effect": "cap"}, headers=HTMX).content.decode()
    prescribe = client.get("/principles/editor/params/", {"effect": "prescribe"}, headers=HTMX).content.decode()
    suppress = client.get("/principles/editor/params/", {"effect": "suppress"}, headers=HTMX).content.decode()

    assert 'name="params-n"' in cap and 'name="params-days"' in cap
    assert 'name="params-action"' in prescribe and 'name="params-repeat_days"' in prescribe
    assert "agent_contact" in prescribe
    assert "no parameters" in suppress


def _status(fragment: str, key: str) -> str:
    start = fragment.index(f'hx-swap-oob="innerHTML:#ex-status-{key}">')
    start = fragment.index(">", start) + 1
    return fragment[start : fragment.index("</div>", start)]


def test_a_condition_not_written_yet_asks_for_one_and_marks_nothing(client, cx_manager):
    client.force_login(cx_manager)

    fragment = _check(client, condition="  \n")

    assert "Write a condition" in fragment and "<mark" not in fragment
    assert "Publishing is blocked: write the condition first." in fragment
