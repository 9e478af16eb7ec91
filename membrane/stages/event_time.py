"""Stage evaluation in event time, per customer (DESIGN.md section 6).

From the last point the customer's history is complete (`CustomerStage.evaluated_through`), or from
`dirty_since` when a back-dated signal arrived (later transitions are deleted and re-derived), the
rules are evaluated at every instant a fact can change (instants.py): the history is exact, each
transition at the instant it happened. The rules are the same as the set-based path's (set_based.py):
first matching rule wins; `stage` in a rule is the stage held before.

One customer is brought up to a time by one_customer.stage_bring_up_to; a run
(runs.services.stages_evaluate_changed) brings batches of them, through `bring_up_locked` and
`bring_up_unlocked`, telling this module what to record on it through a `ForRun`: the path writes no
run records itself, since runs drive it.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction

from cxcore.facts.checkpoint import Checkpoint, Folding
from cxcore.facts.fold_state import CheckpointRow
from cxcore.facts.folds import OCCURRED_AT
from cxcore.facts.per_customer import FACT_PY
from cxcore.models import Customer
from cxcore.selectors import earliest_of
from cxcore.services import customer_changes_take
from membrane.models import CustomerStage

from .clock import clock_horizon, clock_kinds, next_instant
from .facts import days_in_stage
from .from_checkpoint import checkpoints_going_on, noted_annotations, noted_quiet, read_from
from .history import (
    Cursor,
    StageRow,
    StageState,
    TransitionRow,
    facts_jsonable,
    history_last_before,
    history_state_at,
    history_write,
)
from .inputs import CLAIMED, STORED, Claimed, SignalReader, Stored, inputs_read, signal_rows, with_inputs
from .instants import DAY, candidate_points, signal_clocks, stage_offsets, stage_settled
from .rules import CompiledRuleSet

# Customers whose signals a SignalReader fetches while the ones before are evaluated.
READ_AHEAD = 1000


@dataclass(frozen=True)
class ForRun:
    """The run customers are brought up to date for: its id goes on their transitions; `skip(customer_id=,
    error=)` records a customer whose history cannot be worked out (the others go on), and `count(customers=,
    transitions=)` a batch written unlocked, in the batch's transaction."""

    run_id: int
    skip: Callable[..., None]
    count: Callable[..., None]


def _replay_customer(
    *,
    customer: Customer | Claimed,
    rows: list[tuple],
    cursor: Cursor,
    lo,
    lo_inclusive: bool,
    at,
    ruleset: CompiledRuleSet,
    run_id: int | None = None,
    checkpoint: Checkpoint | None = None,
) -> tuple[list[TransitionRow], Cursor, Folding]:
    """Evaluates the rules at every candidate instant in the range; returns the transitions, the final stage
    and the facts' fold (to take the checkpoint at `at` from).

    `rows` are the customer's signals up to `at` in time order: all of them, or, from `checkpoint` (as of
    `lo` or before), those after it and those a clock can fall in the range from (clock_horizon).
    """
    times = [row[OCCURRED_AT] for row in rows]
    # The start of tenure: the checkpoint keeps the first signal (the tenure fact's), the earliest of its rows.
    first = checkpoint.rows[0][OCCURRED_AT] if checkpoint is not None and checkpoint.rows else None
    created_at = customer.created_at if first is None or customer.created_at < first else first
    clocks = signal_clocks(ruleset, [(row[0], row[OCCURRED_AT]) for row in rows], created_at=created_at)
    heap = list(candidate_points(times=times, clocks=clocks, lo=lo, lo_inclusive=lo_inclusive, at=at))
    # The instants counted from the start of a stage (days_in_stage's constants, the day after one the
    # rules do not keep) are that stage's: once it is left, no fact changes at them. Evaluated anyway,
    # they would show the rules a stage entered since before its own next instant, so the history would
    # depend on which stage came before and on where a run stopped (the stored stage keeps only its own).
    held = deque(
        sorted(
            candidate_points(
                times=[],
                clocks=[([cursor.since] if cursor.since else [], stage_offsets(ruleset, cursor.settled))],
                lo=lo,
                lo_inclusive=lo_inclusive,
                at=at,
            )
        )
    )
    # The rules need only the facts they read; a transition records them all.
    read = [(name, fn) for name, fn in FACT_PY.items() if name in ruleset.facts_read]
    folding = Folding(checkpoint, rows)
    heapq.heapify(heap)
    done: set[dt.datetime] = set()
    transitions = []
    while heap or held:
        point = held.popleft() if held and (not heap or held[0] <= heap[0]) else heapq.heappop(heap)
        if point in done:
            continue
        done.add(point)
        summary = folding.summary(point)
        facts = {name: fn(customer, summary, point) for name, fn in read}
        facts.update(
            stage=cursor.stage,
            previous_stage=cursor.previous,
            days_in_stage=days_in_stage(cursor.since, point),
        )
        stage = ruleset.stage_for(facts)
        if stage == cursor.stage:
            continue
        facts.update((name, fn(customer, summary, point)) for name, fn in FACT_PY.items() if name not in facts)
        transitions.append(
            TransitionRow(customer.pk, cursor.stage, stage, point, facts_jsonable(facts), ruleset.number, run_id)
        )
        settled = stage_settled(ruleset, facts, stage, cursor.stage)
        cursor = Cursor(stage, point, cursor.stage, settled)
        # days_in_stage restarts here: its thresholds become the candidate instants of the new stage
        # (in order: the offsets are sorted), and the stage left takes its own with it.
        held = deque(
            point + days * DAY
            for days in stage_offsets(ruleset, settled)
            if days * DAY <= at - point  # not point + days: that can pass year 9999
        )
    return transitions, cursor, folding


@dataclass(frozen=True)
class Evaluated:
    """The customers' stages at `at` (results) and the history to write for them (history_write's arguments)."""

    results: dict[int, StageState]
    transitions: list[TransitionRow]
    states: list[StageRow]
    rewinds: dict[int, dt.datetime]
    forgotten: list[int]
    marked: list[int]
    # The facts' checkpoints as of `at` of the customers evaluated (cxcore.facts.checkpoint).
    checkpoints: list[CheckpointRow]

    def of(self, customer_ids: set[int]) -> Evaluated:
        """The part of the work that concerns these customers."""
        return Evaluated(
            results={pk: state for pk, state in self.results.items() if pk in customer_ids},
            transitions=[row for row in self.transitions if row.customer_id in customer_ids],
            states=[row for row in self.states if row.customer_id in customer_ids],
            rewinds={pk: rewind for pk, rewind in self.rewinds.items() if pk in customer_ids},
            forgotten=[pk for pk in self.forgotten if pk in customer_ids],
            marked=[pk for pk in self.marked if pk in customer_ids],
            checkpoints=[row for row in self.checkpoints if row.customer_id in customer_ids],
        )

    def write(self, *, at: dt.datetime) -> None:
        """Writes the history worked out (in the caller's transaction)."""
        history_write(
            transitions=self.transitions,
            states=self.states,
            rewinds=self.rewinds,
            forgotten=self.forgotten,
            marked=self.marked,
            checkpoints=self.checkpoints,
            at=at,
        )


def _evaluate(
    *,
    customers: list[Customer] | list[Claimed],
    at: dt.datetime,
    ruleset: CompiledRuleSet,
    run: ForRun | None,
    stored: dict[int, CustomerStage | Stored] | None,
    taken: dict[int, dt.datetime],
    reader: SignalReader | None = None,
) -> Evaluated:
    """Works out the customers' histories up to `at` (reads only); `taken` is the earliest of each one's queued
    changes up to `at`."""
    # Marked dirty in the row itself: cleared by the write once evaluated.
    marked = [c.pk for c in customers if c.dirty_since is not None and c.dirty_since <= at]
    for customer in customers:
        customer.dirty_since = earliest_of(customer.dirty_since, taken.get(customer.pk))
    # Read here, the stored stages come with the notes of their checkpoints (a run's come without).
    noted = stored is None
    if noted:
        read = CustomerStage.objects.filter(customer_id__any_of=[c.pk for c in customers])
        stored = {s.customer_id: s for s in read.annotate(**noted_annotations())}
    results: dict[int, StageState] = {}
    # customer id -> (cursor at the start, range start, inclusive?)
    plans: dict[int, tuple[Cursor, dt.datetime | None, bool]] = {}
    rewinds: dict[int, dt.datetime] = {}
    for customer in customers:
        state, dirty = stored.get(customer.pk), customer.dirty_since
        if state is None:
            plans[customer.pk] = (Cursor(), None, True)
            continue
        rewind = dirty if dirty is not None and dirty <= state.evaluated_through else None
        if rewind is None:
            if at <= state.evaluated_through:
                results[customer.pk] = history_state_at(
                    customer_id=customer.pk, at=at, stored=state, default=ruleset.default_stage
                )
            else:
                plans[customer.pk] = (
                    Cursor(state.stage, state.since, state.previous_stage, state.settled),
                    state.evaluated_through,
                    False,
                )
            continue
        if at < rewind:
            results[customer.pk] = history_state_at(
                customer_id=customer.pk, at=at, stored=None, default=ruleset.default_stage
            )
            continue
        # A signal dated before the end of the known history: redo the history from its time on.
        rewinds[customer.pk] = rewind
        cursor = history_last_before(customer_id=customer.pk, at=rewind)
        plans[customer.pk] = (cursor, None if cursor.stage is None else rewind, True)

    run_id = run.run_id if run is not None else None
    new_transitions: list[TransitionRow] = []
    new_states: list[StageRow] = []
    new_checkpoints: list[CheckpointRow] = []
    planned = [customer for customer in customers if customer.pk in plans]
    checkpoints = checkpoints_going_on(planned, starts={pk: plan[1] for pk, plan in plans.items()})
    # From a checkpoint, the signals after it and those whose clocks can fall in the range; else all.
    horizon, kinds = clock_horizon(ruleset), clock_kinds(ruleset)
    quiet = {
        pk: until
        for pk, cp in checkpoints.items()
        if noted
        and pk not in rewinds
        and (until := noted_quiet(stored[pk], cp, ruleset=ruleset, at=at)) is not None
        and plans[pk][1:] == (cp.as_of, False)
    }
    since = {
        pk: read_from(cp.as_of, plans[pk][1], horizon, kinds, quiet_until=quiet.get(pk))
        for pk, cp in checkpoints.items()
    }
    since = {pk: read_from for pk, read_from in since.items() if read_from is not None}
    # The reader overlaps one part's read with the evaluation of the part before: with a single part there
    # is nothing to overlap, and its thread and connection of its own only add their setup (a connection
    # opened for a run of one customer cost more than that customer's evaluation).
    if reader is None or len(planned) <= READ_AHEAD:
        parts = [planned] if planned else []
        reads = (signal_rows(customer_ids=[c.pk for c in part], at=at, since=since) for part in parts)
    else:
        parts = [planned[i : i + READ_AHEAD] for i in range(0, len(planned), READ_AHEAD)]
        reads = reader.ahead(parts, at=at, since=since)
    for part, rows_by_customer in zip(parts, reads, strict=True):
        for customer in part:
            cursor, lo, inclusive = plans[customer.pk]
            rows = rows_by_customer.get(customer.pk, [])
            if lo is None:
                # A history from the start: the customer begins at their creation or first signal.
                lo = min([customer.created_at] + [row[2] for row in rows[:1]])
            try:
                transitions, cursor, folding = _replay_customer(
                    customer=customer,
                    rows=rows,
                    cursor=cursor,
                    lo=lo,
                    lo_inclusive=inclusive,
                    at=at,
                    ruleset=ruleset,
                    run_id=run_id,
                    checkpoint=checkpoints.get(customer.pk),
                )
                checkpoint, folded = folding.checkpoint_folded(at)
            except Exception as exc:
                # Pure computation, so nothing is half done: a run records the customer and goes on with
                # the others, their stored history left as it was. Asked for one customer, there is no answer.
                if run is None:
                    raise
                run.skip(customer_id=customer.pk, error=exc)
                rewinds.pop(customer.pk, None)
                continue
            new_transitions.extend(transitions)
            results[customer.pk] = cursor.state_at(at, ruleset.default_stage)
            following = None
            if cursor.stage is not None:
                new_states.append(
                    StageRow(
                        customer.pk, cursor.stage, cursor.since, cursor.previous, at, ruleset.number, cursor.settled
                    )
                )
                if customer.pk in quiet and transitions:
                    # A new stage has instants of its own: the clocks of the signals before count again.
                    going_on = {customer.pk: read_from(checkpoints[customer.pk].as_of, lo, horizon, kinds)}
                    rows = signal_rows(customer_ids=[customer.pk], at=at, since=going_on)[customer.pk]
                following = next_instant(
                    ruleset=ruleset,
                    kinds_times=[(row[0], row[OCCURRED_AT]) for row in rows],
                    created_at=min([customer.created_at, *(row[OCCURRED_AT] for row in checkpoint.rows[:1])]),
                    since=cursor.since,
                    settled=cursor.settled,
                    after=at,
                )
                if customer.pk in quiet and not transitions:
                    # The signals before the checkpoint have no instant before the one noted.
                    following = quiet[customer.pk] if following is None else min(following, quiet[customer.pk])
            new_checkpoints.append(CheckpointRow(customer.pk, checkpoint, following, ruleset.number, folded))
    forgotten = [c.pk for c in customers if c.pk in plans and c.dirty_since is not None and c.dirty_since <= at]
    return Evaluated(results, new_transitions, new_states, rewinds, forgotten, marked, new_checkpoints)


def bring_up_locked(
    *,
    customers: list[Customer] | list[Claimed],
    at: dt.datetime,
    ruleset: CompiledRuleSet,
    run: ForRun | None = None,
    stored: dict[int, CustomerStage | Stored] | None = None,
    reader: SignalReader | None = None,
) -> tuple[dict[int, StageState], int]:
    """Brings customers (rows locked by the caller, fresh dirty_since) up to `at`; returns states and transitions.

    `stored` is each one's stored stage when the caller read them with the customers (absent: none);
    `reader` reads their signals ahead on a connection of its own (absent: on the caller's).
    """
    # The changes queued by ingests (the rows are locked: all of them) leave the queue with this work.
    taken = customer_changes_take(customer_ids=[customer.pk for customer in customers], until=at)
    evaluated = _evaluate(
        customers=customers, at=at, ruleset=ruleset, run=run, stored=stored, taken=taken, reader=reader
    )
    evaluated.write(at=at)
    return evaluated.results, len(evaluated.transitions)


def one_writer() -> bool:
    """Whether the database has no row locks, only one writer at a time (SQLite): a transaction held while
    histories are worked out would hold every other write of the console (a login, a decision's log)
    for as long, and fail it as "database is locked" once the busy timeout has passed."""
    return not connection.features.has_select_for_update


def bring_up_unlocked(
    *, customers, at: dt.datetime, ruleset: CompiledRuleSet, run: ForRun | None = None, batch: int | None = None
) -> tuple[dict[int, StageState], Evaluated]:
    """Where there is one writer (one_writer): brings up to `at` the (first `batch`) customers of the
    queryset `customers`, as bring_up_locked does, working their histories out outside any transaction
    and writing them in a short one. Returns the states of all, and what was written.

    Nothing is locked meanwhile, so the write first reads each customer's inputs again (inputs_read):
    one that another writer evaluated, folded changes into or queued a change for meanwhile is left as
    it is (a run finds it still changed and takes it again). The signals are read after the inputs, so
    they hold at least those of the changes taken.
    """
    rows = list(
        with_inputs(customers, at=at)
        .order_by("pk")
        .values_list(*CLAIMED, *STORED, "changes_since", "last_change")[:batch]
    )
    claimed, stored, taken, read = [], {}, {}, {}
    split, end = len(CLAIMED), len(CLAIMED) + len(STORED)
    for row in rows:
        customer = Claimed(*row[:split])
        claimed.append(customer)
        if row[split] is not None:
            stored[customer.pk] = Stored(*row[split:end])
        since, last = row[end:]
        if since is not None and since <= at:
            taken[customer.pk] = since
        through = stored[customer.pk].evaluated_through if customer.pk in stored else None
        read[customer.pk] = (customer.dirty_since, through, taken.get(customer.pk), last)
    if not claimed:
        return {}, Evaluated({}, [], [], {}, [], [], [])
    evaluated = _evaluate(customers=claimed, at=at, ruleset=ruleset, run=run, stored=stored, taken=taken)
    with transaction.atomic():
        unchanged = {pk for pk, inputs in inputs_read(list(read), at=at).items() if inputs == read[pk]}
        customer_changes_take(customer_ids=sorted(unchanged), until=at)
        written = evaluated.of(unchanged)
        written.write(at=at)
        if run is not None:
            run.count(customers=len(unchanged), transitions=len(written.transitions))
    return evaluated.results, written


def evaluate_unstored(customer: Customer, *, at: dt.datetime, ruleset: CompiledRuleSet) -> StageState:
    """The customer's stage at `at` worked out from what is stored, writing nothing."""
    fresh = Customer.objects.get(pk=customer.pk)
    return _evaluate(customers=[fresh], at=at, ruleset=ruleset, run=None, stored=None, taken={}).results[customer.pk]
