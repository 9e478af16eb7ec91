"""The facts that come from the stage history: stage, previous_stage, days_in_stage.

They are defined here, not in cxcore (which knows nothing of stages), and join cxcore's fact
catalogue through `register` when the membrane app loads. Like every fact they are computed two
ways that agree: for one customer from the event-time history (stages.one_customer.stage_bring_up_to),
and as SQL expressions over CustomerFacts joined with the stored stage (`stage_fact_columns`),
which holds the stage as of the last set-based run.

The values stage and previous_stage take are the stage definitions' keys, data that
membrane.catalogue reads when an expression is checked. days_in_stage is a day count, like
cxcore's "days since" facts: the exact time since the stage began (cxcore.facts.days.day_count;
in SQL its microseconds, DaysSince), compared as a duration (docs/expressions.md, "Day counts").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F

from cxcore.facts.catalogue import FactDef, register
from cxcore.facts.days import DayCount, DaysSince, day_count

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
        "Days since the customer entered the current stage: the exact time (3 days and 10 hours is more than 3).",
        3,
        nullable=True,
    ),
)


STAGE_DAY_FACT = "days_in_stage"


def stage_facts_register() -> None:
    for fact in STAGE_FACTS:
        register(fact)


def is_day_count(fact: FactDef) -> bool:
    """Whether the fact is a day count: cxcore's whose fold counts days, and days_in_stage."""
    return fact.counts_days or fact.name == STAGE_DAY_FACT


def days_in_stage(since: dt.datetime | None, at: dt.datetime) -> DayCount | None:
    """days_in_stage at `at` of a stage held since `since` (None: no stage held)."""
    return day_count(since, at)


def stored_stage_facts(state, *, at: dt.datetime) -> dict[str, Any]:
    """The stage facts at `at` from a stored CustomerStage row, as the set-based SQL reads them."""
    return {
        "stage": state.stage,
        "previous_stage": state.previous_stage,
        "days_in_stage": days_in_stage(state.since, at),
    }


def stage_fact_columns(*, as_of: dt.datetime, prefix: str = "customer__stage_state__") -> dict[str, Any]:
    """The stage facts as expressions for a queryset reaching CustomerStage through `prefix` (from CustomerFacts)."""
    return {
        "stage": F(f"{prefix}stage"),
        "previous_stage": F(f"{prefix}previous_stage"),
        "days_in_stage": DaysSince(F(f"{prefix}since"), at=as_of),
    }
