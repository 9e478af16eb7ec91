"""How a draft of the stage rules would move the population: customers per stage now, under the published
rules and under the draft, and the moves between stages, from set_based.stage_moves (one GROUP BY each).

"Now" is the stage each customer holds as stored (what the Stages page counts). The published rules, read
again over the same stored facts at the same instant, separate what the draft changes from what time alone
changes (a day count passing a threshold since the last run).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from cxcore.charts import chart_data
from membrane.models import StageDefinition, StageRuleSet

from .rules import CompiledRuleSet, published_ruleset
from .set_based import stage_moves

NOT_EVALUATED = "(not evaluated yet)"


@dataclass(frozen=True)
class StageRow:
    key: str
    name: str
    color: str
    now: int
    published: int | None  # None when no rules are published
    draft: int

    @property
    def change(self) -> int:
        return self.draft - self.now


@dataclass(frozen=True)
class Move:
    held: str
    to: str
    customers: int


@dataclass(frozen=True)
class MovesPreview:
    at: dt.datetime
    customers: int
    stages: tuple[StageRow, ...]
    moves: tuple[Move, ...]  # held now -> under the draft, largest first
    moved: int
    chart: dict


def moves_preview(*, draft: CompiledRuleSet, at: dt.datetime) -> MovesPreview:
    pairs = stage_moves(ruleset=draft, at=at)
    try:
        published = Counter()
        for _held, new, count in stage_moves(ruleset=published_ruleset(), at=at):
            published[new] += count
    except StageRuleSet.DoesNotExist:
        published = None
    now, under_draft = Counter(), Counter()
    moves = []
    for held, new, count in pairs:
        held = held or NOT_EVALUATED
        now[held] += count
        under_draft[new] += count
        if held != new:
            moves.append(Move(held, new, count))
    definitions = list(StageDefinition.objects.values_list("key", "name", "color"))
    known = {key for key, _name, _color in definitions}
    extra = sorted((set(now) | set(under_draft) | set(published or ())) - known)
    stages = tuple(
        StageRow(
            key=key,
            name=name,
            color=color,
            now=now[key],
            published=None if published is None else published[key],
            draft=under_draft[key],
        )
        for key, name, color in [*definitions, *((key, key, "#94a3b8") for key in extra)]
    )
    moves.sort(key=lambda move: (-move.customers, move.held, move.to))
    return MovesPreview(
        at=at,
        customers=sum(now.values()),
        stages=stages,
        moves=tuple(moves),
        moved=sum(move.customers for move in moves),
        chart=_chart(stages, published is not None),
    )


def _chart(stages: tuple[StageRow, ...], with_published: bool) -> dict:
    """One bar per column (now, the published rules, the rules previewed), split by stage in the stages' colours."""
    columns = ["Now", *(["Published"] if with_published else []), "These rules"]
    return chart_data(
        {
            "x": columns,
            # One series per stage: a legend beside the bars, not above them where it would cover them on a phone.
            "layout": {"legend": {"orientation": "v", "x": 1.02, "y": 1}, "margin": {"l": 40, "r": 8, "t": 8, "b": 40}},
            "series": [
                {
                    "name": stage.name,
                    "color": stage.color,
                    "y": [stage.now, *([stage.published] if with_published else []), stage.draft],
                }
                for stage in stages
            ],
        }
    )
