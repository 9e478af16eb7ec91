"""The side-by-side diff of two versions: rows per section that rebuild both sides, the page with its pickers."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given
from hypothesis import strategies as st

from membrane.principles import services
from membrane.principles.diff import SECTIONS, _side_by_side, version_sections, version_sides
from membrane.tests.principles_support import draft

lines = st.lists(st.sampled_from(["a", "b", "c", "stage == 1", "", "x and y"]), max_size=8)


@given(old=lines, new=lines)
def test_the_rows_rebuild_both_sides(old, new):
    rows = _side_by_side(old, new)
    assert [row.old for row in rows if row.old is not None] == old
    assert [row.new for row in rows if row.new is not None] == new
    assert [row.old_number for row in rows if row.old is not None] == list(range(1, len(old) + 1))
    assert all(row.old == row.new for row in rows if row.kind == "equal")
    assert all((row.old is None) != (row.new is None) for row in rows if row.kind in ("added", "removed"))
    assert (old == new) == all(row.kind == "equal" for row in rows)


@dataclass
class _Version:
    number: int = 1
    categories: list = field(default_factory=list)
    channels: list = field(default_factory=list)
    teams: list = field(default_factory=list)
    condition: str = 'stage == "crisis"'
    effect: str = "suppress"
    params: dict = field(default_factory=dict)
    priority: int = 100
    examples: list = field(default_factory=list)
    change_note: str = ""


@given(
    priority=st.integers(-1000, 1000),
    categories=st.lists(st.sampled_from(["marketing", "upsell", "survey"]), unique=True),
    condition=st.sampled_from(['stage == "crisis"', 'stage == "crisis"\nand days_in_stage > 3', "open_tickets > 0"]),
)
def test_a_section_changes_exactly_when_the_version_says_something_else_there(priority, categories, condition):
    old = _Version()
    new = _Version(priority=priority, categories=categories, condition=condition)
    changed = {section.name for section in version_sides(old, new) if section.changed}
    before, after = version_sections(old), version_sections(new)
    assert changed == {name for name in SECTIONS if before[name] != after[name]}


def test_a_changed_line_marks_the_words_that_differ():
    old, new = _Version(priority=100), _Version(priority=120, condition='stage == "crisis" and days_in_stage > 3')
    sections = {section.name: section for section in version_sides(old, new)}
    priority = sections["priority"].rows[0]
    # A line with nothing in common is marked as a whole; one that keeps most of itself, word by word.
    assert priority.kind == "changed" and priority.old_parts == priority.new_parts == ()
    condition = sections["condition"].rows[0]
    assert ('stage == "crisis"', False) in condition.new_parts
    assert (" and days_in_stage > 3", True) in condition.new_parts


def _second_version(cx_manager):
    first = draft(cx_manager, slug="quiet-evenings")
    services.principle_version_submit(version=first, actor=cx_manager)
    second = services.principle_version_draft_create(version=first, actor=cx_manager)
    return services.principle_version_update(
        version=second, actor=cx_manager, lock_version=1, categories=["marketing", "upsell"], priority=150
    )


def test_the_page_shows_two_columns_with_the_changes(client, agent, cx_manager):
    _second_version(cx_manager)
    client.force_login(agent)

    page = client.get("/principles/quiet-evenings/diff/", {"a": 1, "b": 2}).content.decode()

    assert '<td class="diff-old"><span class="diff-mark" aria-hidden="true">−</span>100</td>' in page
    assert '<td class="diff-new"><span class="diff-mark" aria-hidden="true">+</span>150</td>' in page
    assert "categories: marketing<ins>, upsell</ins>" in page
    assert 'data-testid="section-priority" open' in page and 'data-testid="section-condition">' in page
    assert '<option value="1" selected>v1 · in review</option>' in page
    assert "{#" not in page  # no template comment shows as text


def test_without_parameters_the_newest_is_compared_with_the_one_before(client, agent, cx_manager):
    _second_version(cx_manager)
    client.force_login(agent)
    page = client.get("/principles/quiet-evenings/diff/").content.decode()
    assert '<option value="1" selected>' in page and '<option value="2" selected>' in page
    assert "categories: marketing<ins>, upsell</ins>" in page


def test_against_nothing_everything_is_added(client, agent, cx_manager):
    _second_version(cx_manager)
    client.force_login(agent)
    page = client.get("/principles/quiet-evenings/diff/", {"a": "", "b": 1}).content.decode()
    assert 'class="diff-changed"' not in page and 'class="diff-equal"' not in page
    assert page.count('class="diff-added"') >= 5


def test_bad_version_numbers_say_so(client, agent, cx_manager):
    _second_version(cx_manager)
    client.force_login(agent)
    response = client.get("/principles/quiet-evenings/diff/", {"a": "first", "b": 9})
    assert response.status_code == 400
    page = response.content.decode()
    assert "a must be a version number" in page and "has no v9" in page
    assert client.get("/principles/nope/diff/").status_code == 404


def test_each_version_links_the_diff_with_the_previous(client, agent, cx_manager):
    _second_version(cx_manager)
    client.force_login(agent)
    page = client.get("/principles/quiet-evenings/").content.decode()
    assert 'href="/principles/quiet-evenings/diff/?a=1&amp;b=2" data-testid="compare-2"' in page
    assert 'data-testid="compare-1"' not in page


def test_the_outsider_is_refused(client, outsider, cx_manager):
    _second_version(cx_manager)
    client.force_login(outsider)
    assert client.get("/principles/quiet-evenings/diff/").status_code == 403
