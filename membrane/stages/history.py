"""The stored stage history: its rows (StageTransition, CustomerStage), the stage it gives at a time, and its writer.

The transitions are the truth; a customer's CustomerStage is the last of them with the time up to
which the history is complete (`evaluated_through`). The event-time path writes them here; the
set-based path writes the same columns in SQL (set_based.py), with the same upsert.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection
from django.utils import timezone

from cxcore import json_fast
from cxcore.facts.days import epoch_us
from cxcore.facts.fold_state import CheckpointRow, checkpoints_store
from cxcore.facts.set_based import facts_compute_all
from cxcore.facts.stored_from_checkpoint import facts_row_inputs, facts_store_from_standings
from cxcore.models import Customer
from membrane.models import CustomerStage, StageTransition

from .facts import days_in_stage


@dataclass(frozen=True)
class StageState:
    stage: str
    since: dt.datetime | None
    previous_stage: str | None
    days_in_stage: int | None


@dataclass(frozen=True)
class Cursor:
    """The stage held at some point of a customer's history."""

    stage: str | None = None
    since: dt.datetime | None = None
    previous: str | None = None
    # The rules kept this stage when it began (see instants.stage_settled); unknown counts as not.
    settled: bool = False

    def state_at(self, at: dt.datetime, default_stage: str) -> StageState:
        if self.stage is None:
            return StageState(default_stage, None, None, None)
        return StageState(self.stage, self.since, self.previous, days_in_stage(self.since, at))


class StageRow(NamedTuple):
    """A stored stage to write (CustomerStage's columns)."""

    customer_id: int
    stage: str
    since: dt.datetime
    previous_stage: str | None
    evaluated_through: dt.datetime
    ruleset_number: int | None
    settled: bool = False


class TransitionRow(NamedTuple):
    """A transition to write (StageTransition's columns but recorded_at)."""

    customer_id: int
    from_stage: str | None
    to_stage: str
    at: dt.datetime
    facts: dict[str, Any]
    ruleset_number: int | None
    run_id: int | None


STAGE_COLUMNS = StageRow._fields
# What a stored stage's upsert replaces: every column but the key.
STAGE_UPDATED = STAGE_COLUMNS[1:]
STAGE_UPSERT = "ON CONFLICT (customer_id) DO UPDATE SET " + ", ".join(
    f"{column} = excluded.{column}" for column in STAGE_UPDATED
)
TRANSITION_COLUMNS = (*TransitionRow._fields, "recorded_at")


def facts_jsonable(facts: dict[str, Any]) -> dict[str, Any]:
    """The facts as a transition records them (JSON: a decimal as a number)."""
    return {name: float(value) if isinstance(value, Decimal) else value for name, value in facts.items()}


def history_state_at(*, customer_id: int, at: dt.datetime, stored: CustomerStage | None, default: str) -> StageState:
    """The stage at `at` from the stored history, which is complete up to `at`."""
    if stored is not None and stored.since <= at:
        return Cursor(stored.stage, stored.since, stored.previous_stage).state_at(at, default)
    last = StageTransition.objects.filter(customer_id=customer_id, at__lte=at).order_by("-at").first()
    if last is None:
        return StageState(default, None, None, None)
    return Cursor(last.to_stage, last.at, last.from_stage).state_at(at, default)


def history_last_before(*, customer_id: int, at: dt.datetime) -> Cursor:
    """The stage held just before `at` (from which a history redone from `at` goes on); none before the first."""
    last = StageTransition.objects.filter(customer_id=customer_id, at__lt=at).order_by("-at").first()
    return Cursor() if last is None else Cursor(last.to_stage, last.at, last.from_stage)


def history_write(
    *,
    transitions: list[TransitionRow],
    states: list[StageRow],
    rewinds: dict[int, dt.datetime],
    forgotten: list[int],
    marked: list[int],
    at: dt.datetime,
    checkpoints: list[CheckpointRow] = (),
) -> None:
    """Writes customers' histories worked out up to `at` (in the caller's transaction).

    `rewinds`: customer -> the time from which their stored transitions are replaced by `transitions`;
    `forgotten`: customers evaluated with signals their stored facts may lack; `marked`: those whose
    dirty_since the work clears; `checkpoints`: their facts' checkpoints as of `at`.
    """
    for customer_id, rewind in rewinds.items():
        StageTransition.objects.filter(customer_id=customer_id, at__gte=rewind).delete()
    history_store(transitions=transitions, states=states)
    # Every signal up to `at` is now in the history; later ones are reached from evaluated_through.
    # Their stored facts may lack the new signals (dirty_since no longer says so), or hold them: a full
    # run computes a dirty customer's facts again and leaves them dirty. Computed again here either way.
    if forgotten:
        facts_store_again(customer_ids=forgotten, at=at, checkpoints=checkpoints)
    # A stored checkpoint holds while its customer is dirty from after it: one whose dirtiness is cleared
    # here and gets no new checkpoint (skipped by a run) may lack a late signal, so it goes.
    checkpoints_store(rows=checkpoints, forget={*forgotten, *marked})
    if marked:
        Customer.objects.filter(pk__any_of=marked, dirty_since__lte=at).update(dirty_since=None)


def facts_store_again(*, customer_ids: list[int], at: dt.datetime, checkpoints: Iterable[CheckpointRow] = ()) -> None:
    """Stores the customers' facts computed again from their signals, as of the latest instant evaluated.

    Deleted instead, they were missing from every set-based reader (audiences, previews, counts) until the
    next full run. The latest instant is `at`, or a later one their stored row is of already (the full
    run's, when `at` is in the past): a row moved back would be invalid now once a signal followed `at`.
    Never past now, where every reader would take the row to be invalid.

    A customer with a checkpoint as of `at` (the evaluation's) and no stored row past `at` gets it from the
    checkpoint, at the windows' cost (issue 15), when `at` is not past now or their stored row is past now
    already (a run whose clock runs ahead, as a bench's days do); the others from cxcore's statement over all
    their signals.
    """
    inputs = facts_row_inputs(customer_ids=customer_ids, at=at)
    stored = {pk: read.stored_as_of for pk, read in inputs.items() if read.stored_as_of is not None}
    now = timezone.now()
    taken = {row.customer_id: row.standing for row in checkpoints if row.checkpoint.as_of == at}
    folded = {
        pk: taken[pk]
        for pk in customer_ids
        if pk in taken
        and (stored.get(pk) is None or stored[pk] <= at)
        and (at <= now or (stored.get(pk) is not None and stored[pk] > now))
    }
    facts_store_from_standings(standings=folded, at=at, inputs=inputs)
    rest = [pk for pk in customer_ids if pk not in folded]
    if rest:
        newest = max((stored[pk] for pk in rest if pk in stored), default=None)
        when = min(at, now)
        facts_compute_all(at=when if newest is None else max(when, newest), customer_ids=rest)


def _from_us(expr: str) -> str:
    """An instant from integer epoch microseconds (PostgreSQL)."""
    return f"(timestamptz 'epoch' + {expr} * interval '1 microsecond')"


# Each write binds its rows as one JSON document of arrays (datetimes as epoch microseconds): arrays of
# values are composed value by value in Python (quotes escaped), and an array of datetimes is bound
# several times slower than one of integers; either cost more than the database's work.
_TRANSITIONS_INSERT = f"""INSERT INTO {StageTransition._meta.db_table} ({", ".join(TRANSITION_COLUMNS)})
                SELECT (r->>0)::bigint, r->>1, r->>2, {_from_us("(r->>3)::bigint")}, r->4,
                    (r->>5)::int, (r->>6)::bigint, %(recorded)s
                FROM jsonb_array_elements(%(rows)s::jsonb) AS rows(r)
                ON CONFLICT DO NOTHING"""
_STAGES_UPSERT = f"""INSERT INTO {CustomerStage._meta.db_table} ({", ".join(STAGE_COLUMNS)})
                SELECT (r->>0)::bigint, r->>1, {_from_us("(r->>2)::bigint")}, r->>3,
                    {_from_us("(r->>4)::bigint")}, (r->>5)::int, (r->>6)::boolean
                FROM jsonb_array_elements(%(rows)s::jsonb) AS rows(r)
                {STAGE_UPSERT}"""


def history_store(*, transitions: list[TransitionRow], states: list[StageRow]) -> None:
    """Writes the derived transitions (a repeated one is skipped) and upserts the stored stages.

    On PostgreSQL each write is one statement over a JSON document: compiling thousands of model
    instances into a multi-row INSERT cost more than the database's work.
    """
    if connection.vendor != "postgresql":
        StageTransition.objects.bulk_create(
            [StageTransition(**transition._asdict()) for transition in transitions],
            ignore_conflicts=True,
            batch_size=2000,
        )
        CustomerStage.objects.bulk_create(
            [CustomerStage(**state._asdict()) for state in states],
            update_conflicts=True,
            unique_fields=["customer"],
            update_fields=list(STAGE_UPDATED),
            batch_size=2000,
        )
        return
    with connection.cursor() as cursor:
        if transitions:
            rows = [
                [t.customer_id, t.from_stage, t.to_stage, epoch_us(t.at), t.facts, t.ruleset_number, t.run_id]
                for t in transitions
            ]
            cursor.execute(_TRANSITIONS_INSERT, {"recorded": timezone.now(), "rows": json_fast.dumps_like(rows)})
        if states:
            rows = [
                [
                    s.customer_id,
                    s.stage,
                    epoch_us(s.since),
                    s.previous_stage,
                    epoch_us(s.evaluated_through),
                    s.ruleset_number,
                    s.settled,
                ]
                for s in states
            ]
            cursor.execute(_STAGES_UPSERT, {"rows": json_fast.dumps_like(rows)})
