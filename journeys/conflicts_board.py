"""What the conflict board shows: the conflicts (filtered), their count per kind and severity, the team x team
heatmap of overlapping customers and the timeline of the scheduled campaigns by team, with the conflicts
marked, as the chart data static/js/charts.js draws."""

from __future__ import annotations

from dataclasses import dataclass

from cxcore.charts import chart_data

from .arbitration import scheduled_campaigns
from .conflicts import KINDS, SEVERITIES, Conflict, conflicts_find, team_heatmap
from .models import Campaign

KIND_LABELS = {
    "overlap": "Overlapping audiences",
    "suppressed_audience": "Suppressed audience",
    "over_cap": "Above a cap",
}
SEVERITY_COLORS = {"high": "#c62828", "medium": "#e0892b", "low": "#6b7a90"}
KIND_SYMBOLS = {"overlap": "diamond", "suppressed_audience": "x", "over_cap": "triangle-up"}
TEAM_COLORS = ["#3b4fd8", "#0f9d8a", "#c2417a", "#7a5af5", "#2f8fd8", "#b5a52b", "#6b7a90", "#e0892b"]


@dataclass(frozen=True)
class BoardFilter:
    team: str = ""
    kind: str = ""
    severity: str = ""

    def keeps(self, conflict: Conflict) -> bool:
        return (
            (not self.team or self.team in conflict.teams)
            and (not self.kind or conflict.kind == self.kind)
            and (not self.severity or conflict.severity == self.severity)
        )


def board_filter(data) -> tuple[BoardFilter, dict[str, str]]:
    """The filter a query string asks for, and an error per unknown value (which is then ignored)."""
    errors = {}
    values = {}
    for name, allowed in (("kind", KINDS), ("severity", SEVERITIES)):
        value = data.get(name) or ""
        if value and value not in allowed:
            errors[name] = f"unknown {name} '{value}'"
            value = ""
        values[name] = value
    return BoardFilter(team=data.get("team") or "", **values), errors


def _heatmap(conflicts: list[Conflict], teams: list[str]) -> dict:
    return chart_data({"x": teams, "y": teams, "z": team_heatmap(conflicts, teams)})


def _timeline(campaigns: list[Campaign], conflicts: list[Conflict], teams: list[str]) -> dict:
    """One row per campaign, grouped by team (the first team at the top), its window as a bar in the team's
    colour; each conflict a mark on its campaigns' rows, in the middle of its window where the bar runs."""
    ordered = sorted(campaigns, key=lambda c: (teams.index(c.team.key), c.starts_at, c.pk))
    label = {c.pk: f"{c.name} · #{c.pk}" for c in ordered}
    color = {team: TEAM_COLORS[i % len(TEAM_COLORS)] for i, team in enumerate(teams)}
    bars = [
        {
            "y": label[c.pk],
            "start": c.starts_at.isoformat(),
            "end": c.ends_at.isoformat(),
            "team": c.team.key,
            "color": color[c.team.key],
        }
        for c in ordered
    ]
    marks = []
    for conflict in conflicts:
        for c in conflict.campaigns:
            if c.pk in label:
                # On the campaign's own bar: a cap's window may run past the campaign's end.
                start, end = max(conflict.starts_at, c.starts_at), min(conflict.ends_at, c.ends_at)
                marks.append(
                    {
                        "y": label[c.pk],
                        "at": (start + (end - start) / 2).isoformat(),
                        "text": f"{conflict.severity}: {conflict.summary}",
                        "color": SEVERITY_COLORS[conflict.severity],
                        "symbol": KIND_SYMBOLS[conflict.kind],
                    }
                )
    return chart_data({"rows": [label[c.pk] for c in ordered], "bars": bars, "marks": marks})


def conflict_board(*, board: BoardFilter) -> dict:
    campaigns = scheduled_campaigns()
    found = conflicts_find(campaigns=campaigns)
    shown = [c for c in found if board.keeps(c)]
    teams = sorted({c.team.key for c in campaigns})
    counts = {
        kind: {severity: sum(1 for c in found if c.kind == kind and c.severity == severity) for severity in SEVERITIES}
        for kind in KINDS
    }
    return {
        "conflicts": shown,
        "total": len(found),
        "counts": [{"kind": kind, "label": KIND_LABELS[kind], **counts[kind]} for kind in KINDS],
        "campaigns": campaigns,
        "teams": teams,
        "heatmap": _heatmap(found, teams),
        "timeline": _timeline(campaigns, found, teams),
        "has_overlap": any(c.kind == "overlap" for c in found),
    }
