"""Every version shows its diff to the previous one, over scope, condition, effect and priority."""

from __future__ import annotations

from membrane.principles import selectors, services
from membrane.tests.principles_support import draft


def test_the_diff_shows_what_changed(cx_manager):
    first = draft(cx_manager)
    services.principle_version_submit(version=first, actor=cx_manager)
    second = services.principle_version_draft_create(version=first, actor=cx_manager)
    services.principle_version_update(
        version=second, actor=cx_manager, lock_version=1, categories=["marketing", "upsell"], priority=150
    )

    principle = selectors.principle_get(first.principle.slug)
    diffs = dict((v.number, d) for v, d in selectors.principle_versions_with_diffs(principle))

    assert "-categories: marketing" in diffs[2] and "+categories: marketing, upsell" in diffs[2]
    assert "-priority: 100" in diffs[2] and "+priority: 150" in diffs[2]
    assert not any(line.startswith(("-condition", "+condition")) for line in diffs[2])
    assert "+effect: suppress" in diffs[1]  # the first version's diff is against nothing


def test_rationale_is_sanitised(cx_manager):
    html = selectors.rationale_html("**Kind** <script>alert(1)</script> [x](javascript:alert(1))")
    assert "<strong>Kind</strong>" in html
    assert "<script" not in html and "javascript:" not in html
