from __future__ import annotations

import datetime as dt
import json

from django.urls import reverse
from django.utils import timezone

from cxcore.factories import CustomerFactory, SignalFactory


def test_dashboard_counts_customers_and_recent_signals_by_kind(client, cx_manager):
    CustomerFactory.create_batch(2)
    SignalFactory.create_batch(3, kind="ticket_opened")
    SignalFactory(kind="complaint")
    SignalFactory(kind="complaint", occurred_at=timezone.now() - dt.timedelta(days=45))
    client.force_login(cx_manager)

    response = client.get(reverse("dashboard"))

    assert response.context["customer_count"] == 2 + 5  # each signal factory makes its customer
    assert response.context["signal_count_30d"] == 4
    chart = response.context["signals_by_kind_chart"]
    assert dict(zip(chart["x"], chart["y"], strict=True)) == {"ticket_opened": 3, "complaint": 1}


def test_the_chart_data_is_embedded_as_json_not_script(client, cx_manager):
    SignalFactory(kind="purchase")
    client.force_login(cx_manager)

    html = client.get(reverse("dashboard")).content.decode()

    start = html.index('<script id="signals-by-kind-data" type="application/json">')
    payload = html[start:].split(">", 1)[1].split("</script>", 1)[0]
    assert json.loads(payload)["x"] == ["purchase"]
    assert "vendor/plotly.min.js" in html and "js/charts.js" in html


def test_pages_without_charts_do_not_load_plotly(client, cx_manager):
    client.force_login(cx_manager)

    html = client.get(reverse("customers")).content.decode()

    assert "plotly" not in html
