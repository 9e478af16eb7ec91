"""Text cut in a table (a principle's condition, a campaign's audience) is whole on a tap, not only on hover."""

from __future__ import annotations

from html import unescape

from django.template.loader import render_to_string


def test_long_text_is_cut_and_whole_in_details():
    condition = 'stage in ["crisis", "at_risk"] and not eta_given and ' + "open_tickets > 0 and " * 10 + "true"

    html = render_to_string("_long_text.html", {"text": condition, "limit": 140})

    assert html.startswith('<details class="long-text">')
    summary = unescape(html.split("<summary>")[1].split("</summary>")[0])
    assert len(summary) == 140 and summary.endswith("…")
    assert condition in unescape(html)  # the whole of it


def test_short_text_is_shown_as_it_is():
    assert render_to_string("_long_text.html", {"text": "open_tickets > 0", "limit": 140}) == "open_tickets &gt; 0"


def test_text_is_escaped():
    html = render_to_string("_long_text.html", {"text": "<script>x</script>" * 20, "limit": 30})
    assert "<script>" not in html
