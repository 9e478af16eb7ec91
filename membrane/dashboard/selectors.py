"""The membrane's dashboard panels: stages, stage flows, decisions by verdict, open tasks, the last run.

Each panel is one aggregate query (GROUP BY in the database), so the dashboard costs the same for
ten customers as for a million. Registered with cxcore's dashboard, which cannot import the membrane.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count

from cxcore.charts import chart_data
from membrane.models import AgentTask, DecisionLog, StageTransition
from membrane.models.decisions import TaskStatus
from membrane.runs.selectors import evaluation_runs_recent
from membrane.stages.selectors import stage_counts, stage_definitions, stage_distribution

FLOW_DAYS = 30
DECISION_DAYS = 7
VERDICT_COLORS = {"allow": "#0f9d8a", "suppress": "#c2417a"}


def stage_flows(*, since: dt.datetime) -> list[dict[str, Any]]:
    """Transitions from -> to since `since` (event time), most frequent first; a first stage has no from."""
    rows = (
        StageTransition.objects.filter(at__gte=since)
        .order_by()
        .values("from_stage", "to_stage")
        .annotate(n=Count("id"))
        .order_by("-n", "from_stage", "to_stage")
    )
    return list(rows)


def decisions_by_verdict(*, since: dt.datetime) -> dict[str, Any]:
    """Logged decisions asked since `since`, per category and verdict, shaped for a stacked bar."""
    rows = list(
        DecisionLog.objects.filter(decided_at__gte=since)
        .order_by()
        .values("category", "verdict")
        .annotate(n=Count("id"))
    )
    categories = sorted({row["category"] for row in rows})
    counts = {(row["category"], row["verdict"]): row["n"] for row in rows}
    series = [
        {"name": verdict, "y": [counts.get((c, verdict), 0) for c in categories], "color": color}
        for verdict, color in VERDICT_COLORS.items()
    ]
    return {"x": categories, "series": series, "total": sum(counts.values())}


def open_tasks_by_kind() -> list[dict[str, Any]]:
    rows = AgentTask.objects.filter(status=TaskStatus.OPEN).order_by().values("kind").annotate(n=Count("id"))
    return list(rows.order_by("-n", "kind"))


def membrane_dashboard(*, now: dt.datetime) -> dict[str, Any]:
    definitions = stage_definitions()
    stages = stage_distribution(definitions=definitions, counts=stage_counts())
    shown = [s for s in stages if s["customers"]]
    decisions = decisions_by_verdict(since=now - dt.timedelta(days=DECISION_DAYS))
    tasks = open_tasks_by_kind()
    runs = list(evaluation_runs_recent(limit=1))
    return {
        "stages": stages,
        "staged_customers": sum(s["customers"] for s in stages),
        "stages_chart": chart_data(
            {
                "labels": [s["name"] for s in shown],
                "values": [s["customers"] for s in shown],
                "colors": [s["color"] for s in shown],
            }
        ),
        "stage_flows": stage_flows(since=now - dt.timedelta(days=FLOW_DAYS)),
        "flow_days": FLOW_DAYS,
        "decisions": decisions,
        "decisions_chart": chart_data({"x": decisions["x"], "series": decisions["series"]}),
        "decision_days": DECISION_DAYS,
        "open_tasks": tasks,
        "open_task_count": sum(row["n"] for row in tasks),
        "last_run": runs[0] if runs else None,
    }
