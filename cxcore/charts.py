"""The data of the console's charts: what a page embeds with json_script for static/js/charts.js to draw.

plotly renders a subset of HTML in every text it draws (axis labels, legends, hover labels): a
signal kind `<a href="...">Login</a>` would become a link, `<b>` bold. So every chart's data goes
through chart_data, which escapes each text in it; plotly turns the entities back into the
characters it shows.
"""

from __future__ import annotations

from typing import Any


def chart_text(text: str) -> str:
    """`text` as plotly shows it literally: &, < and > as entities.

    Only these: plotly decodes a few named entities (amp, lt, gt, not quot), and without < no tag
    is left for it to interpret.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def chart_data(data: Any) -> Any:
    """A chart's data (dicts, lists, numbers, texts) with every text escaped by chart_text, whatever its key:
    labels, series names, titles (colours and numbers come through unchanged)."""
    if isinstance(data, str):
        return chart_text(data)
    if isinstance(data, dict):
        return {key: chart_data(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [chart_data(value) for value in data]
    return data
