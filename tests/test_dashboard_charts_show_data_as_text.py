"""Every text a dashboard chart takes from data reaches plotly escaped, so that plotly (which renders a
subset of HTML in labels, legends and hover labels) shows it as text: a signal kind
`<a href="https://ev.il/p">Login</a>` is no link in "Signals by kind" (issue 12, item 8)."""

from __future__ import annotations

import json
import re

from django.urls import reverse
from django.utils import timezone

from cxcore.factories import CustomerFactory, SignalFactory
from membrane.models import CustomerStage, DecisionLog, StageDefinition

LINK = '<a href="https://ev.il/p">Login</a>'


def chart_payloads(html: str) -> dict[str, object]:
    """The JSON of each chart on the page, by the id its element names in data-chart-source."""
    sources = re.findall(r'data-chart-source="([^"]+)"', html)
    payloads = {}
    for source in sources:
        start = html.index(f'<script id="{source}" type="application/json">')
        payloads[source] = json.loads(html[start:].split(">", 1)[1].split("</script>", 1)[0])
    return payloads


def texts(data) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [text for value in data.values() for text in texts(value)]
    if isinstance(data, list):
        return [text for value in data for text in texts(value)]
    return []


def test_every_chart_text_from_data_reaches_plotly_escaped(client, cx_manager):
    now = timezone.now()
    SignalFactory.create_batch(2, kind=LINK)
    SignalFactory(kind="<b>bold</b> & co")
    StageDefinition.objects.filter(key="loyal").update(name="<i>Loyal</i>")
    CustomerStage.objects.create(customer=CustomerFactory(), stage="loyal", since=now, evaluated_through=now)
    DecisionLog.objects.create(
        customer=CustomerFactory(),
        team="cx",
        category="<u>upsell</u>",
        channel="email",
        at=now,
        decided_at=now,
        verdict="allow",
        reason="test",
    )
    client.force_login(cx_manager)

    html = client.get(reverse("dashboard")).content.decode()

    charts = chart_payloads(html)
    assert set(charts) == {"signals-by-kind-data", "stages-data", "decisions-data"}
    assert charts["signals-by-kind-data"]["x"] == [
        '&lt;a href="https://ev.il/p"&gt;Login&lt;/a&gt;',
        "&lt;b&gt;bold&lt;/b&gt; &amp; co",
    ]
    assert "&lt;i&gt;Loyal&lt;/i&gt;" in charts["stages-data"]["labels"]
    assert charts["decisions-data"]["x"] == ["&lt;u&gt;upsell&lt;/u&gt;"]
    assert not [text for chart in charts.values() for text in texts(chart) if "<" in text or ">" in text]
    # The page's own markup shows them as text too (Django escapes it).
    assert "&lt;i&gt;Loyal&lt;/i&gt;" in html and "<i>Loyal</i>" not in html
