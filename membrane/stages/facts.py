"""The facts that come from the stage history: stage, previous_stage, days_in_stage.

They are defined here, not in cxcore (which knows nothing of stages), and join cxcore's fact
catalogue through `register` when the membrane app loads. Like every fact they are computed two
ways that agree: for one customer from the event-time history (stages.event_time.stage_bring_up_to),
and as SQL expressions over CustomerFacts joined with the stored stage (`stage_fact_columns`),
which holds the stage as of the last set-based run.

The values stage and previous_stage take are the stage definitions' keys, data that
membrane.catalogue reads when an expression is checked.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F

from cxcore.facts.catalogue import FactDef, register
from cxcore.facts.days import DaysSince

STAGE_FACTS = (
    FactDef(
        "stage",
        "str",
        "The relationship stage at T (in a stage rule: the stage held before).",
        "crisis",
    ),
    FactDef(
        "previous_stage",
        "str",
        "The stage held before the current one; null when none.",
        "active",
        nullable=True,
    ),
    FactDef(
        "days_in_stage",
        "int",
        "Whole days since the customer entered the current stage.",
        3,
        nullable=True,
    ),
)


def stage_facts_register() -> None:
    for fact in STAGE_FACTS:
        register(fact)


def stored_stage_facts(state, *, at: dt.datetime) -> dict[str, Any]:
    """The stage facts at `at` from a stored CustomerStage row, as the set-based SQL reads them."""
    return {
        "stage": state.stage,
        "previous_stage": state.previous_stage,
        "days_in_stage": (at - state.since) // dt.timedelta(days=1),
    }


def stage_fact_columns(*, as_of: dt.datetime, prefix: str = "customer__stage_state__") -> dict[str, Any]:
    """The stage facts as expressions for a queryset reaching CustomerStage through `prefix` (from CustomerFacts)."""
    return {
        "stage": F(f"{prefix}stage"),
        "previous_stage": F(f"{prefix}previous_stage"),
        "days_in_stage": DaysSince(F(f"{prefix}since"), at=as_of),
    }
