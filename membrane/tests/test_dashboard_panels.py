"""The dashboard's membrane panels: stages, flows, decisions by verdict, open tasks, last run; set-based."""

from __future__ import annotations

import datetime as dt
import json

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cxcore.factories import CustomerFactory
from membrane.models import CustomerStage, DecisionLog, EvaluationRun, StageTransition

DAY = dt.timedelta(days=1)


def population(n: int, now: dt.datetime) -> None:
    """n customers: half in crisis (come from active), half active; decisions and a run."""
    for i in range(n):
        customer = CustomerFactory()
        stage = "crisis" if i % 2 else "active"
        CustomerStage.objects.create(customer=customer, stage=stage, since=now - DAY, evaluated_through=now)
        StageTransition.objects.create(customer=customer, from_stage=None, to_stage="active", at=now - 60 * DAY)
        if stage == "crisis":
            StageTransition.objects.create(customer=customer, from_stage="active", to_stage="crisis", at=now - DAY)
        for category, verdict in [("marketing", "suppress" if stage == "crisis" else "allow"), ("survey", "allow")]:
            DecisionLog.objects.create(
                customer=customer,
                team="marketing_devices",
                category=category,
                channel="email",
                at=now,
                decided_at=now - DAY,
                verdict=verdict,
                reason="test",
            )
    EvaluationRun.objects.create(
        kind="full", as_of=now, started_at=now, outcome="succeeded", customers=n, transitions=n // 2, duration_ms=42
    )


def test_the_panels_count_the_population(client, cx_manager):
    now = timezone.now()
    population(4, now)
    client.force_login(cx_manager)

    response = client.get(reverse("dashboard"))

    context = response.context
    counts = {stage["key"]: stage["customers"] for stage in context["stages"]}
    assert counts["crisis"] == 2 and counts["active"] == 2 and counts["loyal"] == 0
    chart = context["stages_chart"]
    assert dict(zip(chart["labels"], chart["values"], strict=True)) == {"Active": 2, "Crisis": 2}
    assert all(color.startswith("#") for color in chart["colors"])
    flows = {(f["from_stage"], f["to_stage"]): f["n"] for f in context["stage_flows"]}
    assert flows == {("active", "crisis"): 2}  # the first stages were placed 60 days ago
    decisions = context["decisions"]
    assert decisions["x"] == ["marketing", "survey"]
    assert {s["name"]: s["y"] for s in decisions["series"]} == {"allow": [2, 4], "suppress": [2, 0]}
    assert context["last_run"].customers == 4
    html = response.content.decode()
    assert 'href="/runs/"' in html and 'href="/actions/"' in html and 'href="/stages/crisis/"' in html
    start = html.index('<script id="decisions-data" type="application/json">')
    assert json.loads(html[start:].split(">", 1)[1].split("</script>", 1)[0])["x"] == ["marketing", "survey"]


def test_an_empty_membrane_says_so(client, agent):
    client.force_login(agent)

    html = client.get(reverse("dashboard")).content.decode()

    assert "No customer has been evaluated yet" in html
    assert "No decisions in the last 7 days" in html
    assert 'data-testid="open-task-count">0<' in html


def test_queries_do_not_grow_with_the_population(client, cx_manager):
    client.force_login(cx_manager)
    now = timezone.now()

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("dashboard")).status_code == 200
        return len(captured)

    population(2, now)
    few = queries()
    population(20, now)
    assert queries() == few <= 14


def test_outsiders_get_403_and_strangers_log_in(client, outsider):
    assert client.get(reverse("dashboard")).status_code == 302
    client.force_login(outsider)
    assert client.get(reverse("dashboard")).status_code == 403
