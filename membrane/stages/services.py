"""Stage evaluation (DESIGN.md section 6).

Two paths, one semantics (first matching rule wins; `stage` in a rule is the stage held before):

- Event time, per customer (`stage_bring_up_to`, `stages_evaluate_changed`): from the last point
  the customer's history is complete (`CustomerStage.evaluated_through`), or from `dirty_since`
  when a back-dated signal arrived (later transitions are deleted and re-derived), the rules are
  evaluated at every instant a fact can change: each signal's occurred_at, and each instant a
  day count or a window crosses a constant of the published rules (signal, start of tenure or
  start of the stage + N whole days, N from `CompiledRuleSet.signal_clocks`). Between two such
  instants no fact changes, so neither can the stage: the history is exact, each transition at
  the instant it happened.
- Set-based, for everyone (`stages_evaluate_all`): time alone moves customers (a ticket open for
  more than three days). Each chunk is a range of customer ids: the stored facts brought to T
  (set_based.facts_refresh), then, on PostgreSQL in one statement, the rules compiled to a CASE
  over them and the writes of the transitions and the stored stages (on SQLite, three). On
  PostgreSQL, chunks run side by side on connections of their own. A
  customer already brought past T is left alone; each chunk is one transaction and transitions
  are unique per (customer, at), so a killed or repeated run loses and duplicates nothing.
  Between two scheduled runs, such time-driven changes are stamped at the run's as_of; the
  event-time path stamps them exactly whenever it reaches the customer first.
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import json
import logging
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    CharField,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.sql import Query
from django.utils import timezone

from cxcore.db import hot_cursor
from cxcore.facts.catalogue import ANY_SIGNAL, CXCORE_FACTS, START
from cxcore.facts.days import DaysSince, epoch_us
from cxcore.facts.per_customer import FACT_PY, SIGNAL_COLUMNS, summarise
from cxcore.models import Customer, CustomerFacts, Signal
from cxcore.selectors import customer_changes_last, customer_changes_since, customers_changed, earliest_of
from cxcore.services import customer_changes_fold, customer_changes_take
from membrane.models import CustomerStage, EvaluationRun, StageTransition
from membrane.models.stages import EvaluationRunKind, RunOutcome

from .rules import CompiledRuleSet, published_ruleset

logger = logging.getLogger(__name__)

DAY = dt.timedelta(days=1)
# Customers per chunk (a range of ids, one transaction): large enough that a chunk's fixed costs
# (planning, the per-customer aggregate's setup) vanish, small enough that its hash tables fit in work_mem.
CHUNK_SIZE = 250_000
CHANGED_BATCH = 5000
# The profile fields cxcore's facts read (segment, region, lifetime_value).
PROFILE_FIELDS = ("segment", "region", "lifetime_value")


@dataclass(frozen=True)
class StageState:
    stage: str
    since: dt.datetime | None
    previous_stage: str | None
    days_in_stage: int | None


@dataclass(slots=True)
class _Claimed:
    """A customer claimed by an incremental run: what the facts read of the profile, and dirty_since.

    Stands in for the Customer model (the facts read the same attributes): building ten thousand
    model instances cost a third of the run.
    """

    pk: int
    created_at: dt.datetime
    dirty_since: dt.datetime | None
    segment: str
    region: str
    lifetime_value: Decimal


@dataclass(frozen=True, slots=True)
class _Stored:
    """A stored stage as the claim reads it beside the customer (CustomerStage's fields the path uses)."""

    stage: str
    since: dt.datetime
    previous_stage: str | None
    evaluated_through: dt.datetime
    settled: bool


class _StageRow(NamedTuple):
    """A stored stage to write (CustomerStage's columns)."""

    customer_id: int
    stage: str
    since: dt.datetime
    previous_stage: str | None
    evaluated_through: dt.datetime
    ruleset_number: int | None
    settled: bool = False


class _TransitionRow(NamedTuple):
    """A transition to write (StageTransition's columns but recorded_at)."""

    customer_id: int
    from_stage: str | None
    to_stage: str
    at: dt.datetime
    facts: dict[str, Any]
    ruleset_number: int | None
    run_id: int | None


@dataclass(frozen=True)
class _Cursor:
    """The stage held at some point of a customer's history."""

    stage: str | None = None
    since: dt.datetime | None = None
    previous: str | None = None
    # The rules kept this stage when it began (see _settled); unknown counts as not.
    settled: bool = False

    def state_at(self, at: dt.datetime, default_stage: str) -> StageState:
        if self.stage is None:
            return StageState(default_stage, None, None, None)
        return StageState(self.stage, self.since, self.previous, (at - self.since) // DAY)


def _jsonable(facts: dict[str, Any]) -> dict[str, Any]:
    return {name: float(value) if isinstance(value, Decimal) else value for name, value in facts.items()}


def _before(instant: dt.datetime, delta: dt.timedelta) -> dt.datetime | None:
    """`instant - delta`, or None when that lies before year 1 (stored data from near then can ask)."""
    try:
        return instant - delta
    except OverflowError:
        return None


def _candidate_points(
    *,
    times: list[dt.datetime],
    clocks: Iterable[tuple[Iterable[dt.datetime], tuple[int, ...]]],
    lo,
    lo_inclusive,
    at,
) -> set[dt.datetime]:
    """Instants in the range at which a fact can change: the signals, and each clock's bases + its whole days.

    Bisection on the sorted times and bases: a customer with a long history and a short range
    (the usual incremental step) costs a few lookups per offset, not one per signal and offset.
    """
    cut = bisect.bisect_left if lo_inclusive else bisect.bisect_right
    times = sorted(times)
    points = set(times[cut(times, lo) : bisect.bisect_right(times, at)])
    for bases, offsets in clocks:
        bases = sorted(bases)
        for days in offsets:
            delta = days * DAY
            # The bases in (lo - delta, at - delta]: before year 1, the range has no lower end (lo) or
            # holds nothing (at).
            last = _before(at, delta)
            if last is None:
                continue
            first = _before(lo, delta)
            start = 0 if first is None else cut(bases, first)
            for base in bases[start : bisect.bisect_right(bases, last)]:
                points.add(base + delta)
    return points


def _signal_clocks(
    ruleset: CompiledRuleSet, kinds_times: list[tuple[str, dt.datetime]], *, created_at: dt.datetime
) -> list[tuple[list[dt.datetime], tuple[int, ...]]]:
    """The rules' clocks over a customer's signals, as (bases, offsets): the signals of each kind a clock
    counts from, every signal, or the start of tenure (the earlier of creation and the first signal)."""
    clocks = []
    for key, offsets in ruleset.signal_clocks:
        if key == START:
            bases = [min([created_at, *(time for _, time in kinds_times)])]
        elif key == ANY_SIGNAL:
            bases = [time for _, time in kinds_times]
        else:
            bases = [time for kind, time in kinds_times if kind == key]
        clocks.append((bases, offsets))
    return clocks


def _settled(ruleset: CompiledRuleSet, facts: dict[str, Any], stage: str, previous: str | None) -> bool:
    """Whether the rules keep `stage` at the instant it is entered, seeing it held (days_in_stage 0).

    A stage they keep needs no evaluation a day later: until another instant, only days_in_stage
    changes, and any of its constants is an instant of its own. One they do not keep is first seen
    by them a day later.
    """
    if not ruleset.follows_up:
        return True
    return ruleset.stage_for({**facts, "stage": stage, "previous_stage": previous, "days_in_stage": 0}) == stage


def _stage_offsets(ruleset: CompiledRuleSet, settled: bool) -> tuple[int, ...]:
    """The offsets after the start of a stage: days_in_stage's constants, and one day unless settled."""
    if settled or not ruleset.follows_up:
        return ruleset.stage_day_offsets
    return tuple(sorted({*ruleset.stage_day_offsets, 1}))


def _replay_customer(
    *,
    customer: Customer,
    rows: list[tuple],
    cursor: _Cursor,
    lo,
    lo_inclusive: bool,
    at,
    ruleset: CompiledRuleSet,
    run_id: int | None = None,
) -> tuple[list[_TransitionRow], _Cursor]:
    """Evaluates the rules at every candidate instant in the range; returns the transitions and the final stage."""
    times = [row[2] for row in rows]
    clocks = [
        *_signal_clocks(ruleset, [(row[0], row[2]) for row in rows], created_at=customer.created_at),
        ([cursor.since] if cursor.since else [], _stage_offsets(ruleset, cursor.settled)),
    ]
    heap = list(_candidate_points(times=times, clocks=clocks, lo=lo, lo_inclusive=lo_inclusive, at=at))
    # The rules need only the facts they read; a transition records them all.
    read = [(name, fn) for name, fn in FACT_PY.items() if name in ruleset.facts_read]
    heapq.heapify(heap)
    done: set[dt.datetime] = set()
    transitions = []
    while heap:
        point = heapq.heappop(heap)
        if point in done:
            continue
        done.add(point)
        summary = summarise(rows[: bisect.bisect_right(times, point)], at=point)
        facts = {name: fn(customer, summary, point) for name, fn in read}
        facts.update(
            stage=cursor.stage,
            previous_stage=cursor.previous,
            days_in_stage=None if cursor.since is None else (point - cursor.since) // DAY,
        )
        stage = ruleset.stage_for(facts)
        if stage == cursor.stage:
            continue
        facts.update((name, fn(customer, summary, point)) for name, fn in FACT_PY.items() if name not in facts)
        transitions.append(
            _TransitionRow(customer.pk, cursor.stage, stage, point, _jsonable(facts), ruleset.number, run_id)
        )
        settled = _settled(ruleset, facts, stage, cursor.stage)
        cursor = _Cursor(stage, point, cursor.stage, settled)
        # days_in_stage restarts here: its thresholds become candidate instants.
        for days in _stage_offsets(ruleset, settled):
            if days * DAY <= at - point:  # not point + days: that can pass year 9999
                heapq.heappush(heap, point + days * DAY)
    return transitions, cursor


def _state_from_history(customer_id: int, at: dt.datetime, stored: CustomerStage | None, default: str) -> StageState:
    """The stage at `at` from the stored history, which is complete up to `at`."""
    if stored is not None and stored.since <= at:
        return _Cursor(stored.stage, stored.since, stored.previous_stage).state_at(at, default)
    last = StageTransition.objects.filter(customer_id=customer_id, at__lte=at).order_by("-at").first()
    if last is None:
        return StageState(default, None, None, None)
    return _Cursor(last.to_stage, last.at, last.from_stage).state_at(at, default)


def _fast_rows(queryset) -> list[tuple]:
    """A values_list queryset's rows; on PostgreSQL read in binary, so that psycopg's C loaders build the
    datetimes and numbers (Django's own datetime loader, a Python subclass that only re-attaches the
    connection's time zone, UTC, cost more than everything else per row)."""
    if connection.vendor != "postgresql":
        return list(queryset.iterator(chunk_size=5000))
    sql, params = queryset.query.sql_with_params()
    with hot_cursor(binary=True) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _signal_rows(*, customer_ids: list[int], at: dt.datetime) -> dict[int, list[tuple]]:
    """Each customer's signals up to `at` as SIGNAL_COLUMNS tuples in time order."""
    signals = (
        Signal.objects.filter(customer_id__any_of=customer_ids, occurred_at__lte=at)
        .order_by("customer_id", "occurred_at", "id")
        .values_list("customer_id", *SIGNAL_COLUMNS)
    )
    rows_by_customer: dict[int, list[tuple]] = defaultdict(list)
    for customer_id, *row in _fast_rows(signals):
        rows_by_customer[customer_id].append(tuple(row))
    return rows_by_customer


# Customers whose signals the reader fetches while the ones before are evaluated.
READ_AHEAD = 1000


class _SignalReader:
    """Reads customers' signals in a thread of its own, on a connection of its own, one part ahead.

    The incremental run then evaluates one part (Python) while the database reads the next, instead
    of waiting for it. The second connection sees what is committed, which holds every signal of the
    changes the run took (committed with them); a caller inside a transaction of its own (a test,
    for one) reads on its own connection instead.
    """

    def __init__(self):
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="signal-reader")

    def ahead(self, parts: list[list], *, at: dt.datetime) -> Iterator[dict[int, list[tuple]]]:
        """Each part's signals (as _signal_rows), the next part's read started before this one is given."""
        pending = None
        for part in parts:
            started = self.pool.submit(_signal_rows, customer_ids=[customer.pk for customer in part], at=at)
            if pending is not None:
                yield pending.result()
            pending = started
        if pending is not None:
            yield pending.result()

    def close(self) -> None:
        # Run in the reader's thread, where `connection` is the reader's own.
        self.pool.submit(lambda: connection.close()).result()
        self.pool.shutdown()


def _bring_up_locked(
    *,
    customers: list[Customer] | list[_Claimed],
    at: dt.datetime,
    ruleset: CompiledRuleSet,
    run: EvaluationRun | None = None,
    stored: dict[int, CustomerStage | _Stored] | None = None,
    reader: _SignalReader | None = None,
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
    _evaluated_write(evaluated, at=at)
    return evaluated.results, len(evaluated.transitions)


@dataclass(frozen=True)
class _Evaluated:
    """The customers' stages at `at` (results) and the history to write for them."""

    results: dict[int, StageState]
    transitions: list[_TransitionRow]
    states: list[_StageRow]
    # Customer -> the time from which their stored transitions are replaced by `transitions`.
    rewinds: dict[int, dt.datetime]
    # Customers evaluated with signals their stored facts lack (forgotten), and those whose dirty_since is cleared.
    dirty: list[int]
    marked: list[int]

    def of(self, customer_ids: set[int]) -> _Evaluated:
        """The part of the work that concerns these customers."""
        return _Evaluated(
            results={pk: state for pk, state in self.results.items() if pk in customer_ids},
            transitions=[row for row in self.transitions if row.customer_id in customer_ids],
            states=[row for row in self.states if row.customer_id in customer_ids],
            rewinds={pk: rewind for pk, rewind in self.rewinds.items() if pk in customer_ids},
            dirty=[pk for pk in self.dirty if pk in customer_ids],
            marked=[pk for pk in self.marked if pk in customer_ids],
        )


def _evaluate(
    *,
    customers: list[Customer] | list[_Claimed],
    at: dt.datetime,
    ruleset: CompiledRuleSet,
    run: EvaluationRun | None,
    stored: dict[int, CustomerStage | _Stored] | None,
    taken: dict[int, dt.datetime],
    reader: _SignalReader | None = None,
) -> _Evaluated:
    """Works out the customers' histories up to `at` (reads only); `taken` is the earliest of each one's queued
    changes up to `at`."""
    # Marked dirty in the row itself: cleared by the write once evaluated.
    marked = [c.pk for c in customers if c.dirty_since is not None and c.dirty_since <= at]
    for customer in customers:
        customer.dirty_since = earliest_of(customer.dirty_since, taken.get(customer.pk))
    if stored is None:
        stored = {s.customer_id: s for s in CustomerStage.objects.filter(customer_id__any_of=[c.pk for c in customers])}
    results: dict[int, StageState] = {}
    # customer id -> (cursor at the start, range start, inclusive?)
    plans: dict[int, tuple[_Cursor, dt.datetime | None, bool]] = {}
    rewinds: dict[int, dt.datetime] = {}
    for customer in customers:
        state, dirty = stored.get(customer.pk), customer.dirty_since
        if state is None:
            plans[customer.pk] = (_Cursor(), None, True)
            continue
        rewind = dirty if dirty is not None and dirty <= state.evaluated_through else None
        if rewind is None:
            if at <= state.evaluated_through:
                results[customer.pk] = _state_from_history(customer.pk, at, state, ruleset.default_stage)
            else:
                plans[customer.pk] = (
                    _Cursor(state.stage, state.since, state.previous_stage, state.settled),
                    state.evaluated_through,
                    False,
                )
            continue
        if at < rewind:
            results[customer.pk] = _state_from_history(customer.pk, at, None, ruleset.default_stage)
            continue
        # A signal dated before the end of the known history: redo the history from its time on.
        rewinds[customer.pk] = rewind
        last = StageTransition.objects.filter(customer_id=customer.pk, at__lt=rewind).order_by("-at").first()
        if last is None:
            plans[customer.pk] = (_Cursor(), None, True)
        else:
            plans[customer.pk] = (_Cursor(last.to_stage, last.at, last.from_stage), rewind, True)

    run_id = run.pk if run is not None else None
    new_transitions: list[_TransitionRow] = []
    new_states: list[_StageRow] = []
    planned = [customer for customer in customers if customer.pk in plans]
    if reader is None:
        parts = [planned] if planned else []
        reads = (_signal_rows(customer_ids=[customer.pk for customer in part], at=at) for part in parts)
    else:
        parts = [planned[i : i + READ_AHEAD] for i in range(0, len(planned), READ_AHEAD)]
        reads = reader.ahead(parts, at=at)
    for part, rows_by_customer in zip(parts, reads, strict=True):
        for customer in part:
            cursor, lo, inclusive = plans[customer.pk]
            rows = rows_by_customer.get(customer.pk, [])
            if lo is None:
                # A history from the start: the customer begins at their creation or first signal.
                lo = min([customer.created_at] + [row[2] for row in rows[:1]])
            try:
                transitions, cursor = _replay_customer(
                    customer=customer,
                    rows=rows,
                    cursor=cursor,
                    lo=lo,
                    lo_inclusive=inclusive,
                    at=at,
                    ruleset=ruleset,
                    run_id=run_id,
                )
            except Exception as exc:
                # Pure computation, so nothing is half done: a run records the customer and goes on with
                # the others, their stored history left as it was. Asked for one customer, there is no answer.
                if run is None:
                    raise
                run_skip(run, customer_id=customer.pk, error=exc)
                rewinds.pop(customer.pk, None)
                continue
            new_transitions.extend(transitions)
            results[customer.pk] = cursor.state_at(at, ruleset.default_stage)
            if cursor.stage is not None:
                new_states.append(
                    _StageRow(
                        customer.pk, cursor.stage, cursor.since, cursor.previous, at, ruleset.number, cursor.settled
                    )
                )
    dirty = [c.pk for c in customers if c.pk in plans and c.dirty_since is not None and c.dirty_since <= at]
    return _Evaluated(results, new_transitions, new_states, rewinds, dirty, marked)


def _evaluated_write(evaluated: _Evaluated, *, at: dt.datetime) -> None:
    """Writes what _evaluate worked out (in the caller's transaction)."""
    for customer_id, rewind in evaluated.rewinds.items():
        StageTransition.objects.filter(customer_id=customer_id, at__gte=rewind).delete()
    _store_history(transitions=evaluated.transitions, states=evaluated.states)
    # Every signal up to `at` is now in the history; later ones are reached from evaluated_through.
    # Their stored facts were computed without the new signals: forgotten, they are computed again
    # by the next set-based run that needs them (dirty_since no longer says so).
    if evaluated.dirty:
        CustomerFacts.objects.filter(customer_id__any_of=evaluated.dirty).delete()
    if evaluated.marked:
        Customer.objects.filter(pk__any_of=evaluated.marked, dirty_since__lte=at).update(dirty_since=None)


# Datetimes travel as epoch microseconds: an array of integers is bound several times faster than one
# of datetimes, and exactly.
_FROM_US = "(timestamptz 'epoch' + {} * interval '1 microsecond')"


def _store_history(*, transitions: list[_TransitionRow], states: list[_StageRow]) -> None:
    """Writes the derived transitions (a repeated one is skipped) and upserts the stored stages.

    On PostgreSQL each write is one statement over a JSON document: compiling thousands of model
    instances into a multi-row INSERT cost more than the database's work.
    """
    table = CustomerStage._meta.db_table
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
            update_fields=list(_STAGE_UPDATED),
            batch_size=2000,
        )
        return
    recorded = timezone.now()
    with connection.cursor() as cursor:
        # Each write binds its rows as one JSON document of arrays: arrays of values are composed
        # value by value in Python (quotes escaped), which cost more than the database's work.
        if transitions:
            cursor.execute(
                f"""INSERT INTO {StageTransition._meta.db_table} ({", ".join(_TRANSITION_COLUMNS)})
                SELECT (r->>0)::bigint, r->>1, r->>2, {_FROM_US.format("(r->>3)::bigint")}, r->4,
                    (r->>5)::int, (r->>6)::bigint, %s
                FROM jsonb_array_elements(%s::jsonb) AS rows(r)
                ON CONFLICT DO NOTHING""",
                [
                    recorded,
                    json.dumps(
                        [
                            [
                                t.customer_id,
                                t.from_stage,
                                t.to_stage,
                                epoch_us(t.at),
                                t.facts,
                                t.ruleset_number,
                                t.run_id,
                            ]
                            for t in transitions
                        ]
                    ),
                ],
            )
        if states:
            cursor.execute(
                f"""INSERT INTO {table} ({", ".join(_STAGE_COLUMNS)})
                SELECT (r->>0)::bigint, r->>1, {_FROM_US.format("(r->>2)::bigint")}, r->>3,
                    {_FROM_US.format("(r->>4)::bigint")}, (r->>5)::int, (r->>6)::boolean
                FROM jsonb_array_elements(%s::jsonb) AS rows(r)
                {_STAGE_UPSERT}""",
                [
                    json.dumps(
                        [
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
                    )
                ],
            )


def _nothing_to_do(
    *, customer_id: int, created_at, state: CustomerStage, at, ruleset: CompiledRuleSet, rows: list[tuple] | None
) -> bool:
    """True when no fact can have changed between evaluated_through and `at` (no candidate instant)."""
    # None: a history evaluated through a time near year 1 (stored data) reaches back to its start.
    horizon = _before(state.evaluated_through, max((max(o) for _, o in ruleset.signal_clocks if o), default=0) * DAY)
    if rows is None:
        signals = Signal.objects.filter(customer_id=customer_id, occurred_at__lte=at)
        if horizon is not None:
            signals = signals.filter(occurred_at__gt=horizon)
        kinds_times = list(signals.values_list("kind", "occurred_at"))
    else:
        kinds_times = [(row[0], row[2]) for row in rows if (horizon is None or horizon < row[2]) and row[2] <= at]
    times = sorted(time for _, time in kinds_times)
    points = _candidate_points(
        times=times,
        clocks=[
            *_signal_clocks(ruleset, kinds_times, created_at=created_at),
            ([state.since], _stage_offsets(ruleset, state.settled)),
        ],
        lo=state.evaluated_through,
        lo_inclusive=False,
        at=at,
    )
    return not points


# stage_bring_up_to's `stored` when the caller has not read the stored stage.
STORED_UNREAD = object()


def stage_bring_up_to(
    *,
    customer: Customer,
    at: dt.datetime,
    ruleset: CompiledRuleSet | None = None,
    stored: CustomerStage | None | object = STORED_UNREAD,
    rows: list[tuple] | None = None,
) -> StageState:
    """The customer's stage at `at`, from their signals, storing the history it derives.

    A time the stored history already covers, or a range in which no fact can change, is answered
    from the stored stage without evaluating anything. A caller that has read them already saves
    their queries: `ruleset` (published_ruleset()), `stored` (the customer's CustomerStage or None,
    read in the same query as `customer`, so that its dirty_since, its `changes_since` (annotated
    with cxcore's customer_changes_since) and created_at are of the same moment) and `rows` (cxcore's
    signal_rows up to `at`).
    """
    ruleset = ruleset or published_ruleset()
    if stored is STORED_UNREAD:
        state = (
            CustomerStage.objects.filter(customer_id=customer.pk)
            .select_related("customer")
            .annotate(changes_since=customer_changes_since("customer_id"))
            .first()
        )
        owner = state.customer if state is not None else customer
        changes_since = state.changes_since if state is not None else None
    else:
        state, owner, changes_since = stored, customer, customer.changes_since
    if state is not None:
        dirty = earliest_of(owner.dirty_since, changes_since)
        clean = dirty is None or dirty > state.evaluated_through
        if clean and at <= state.evaluated_through:
            return _state_from_history(customer.pk, at, state, ruleset.default_stage)
        if clean and _nothing_to_do(
            customer_id=customer.pk, created_at=owner.created_at, state=state, at=at, ruleset=ruleset, rows=rows
        ):
            return _Cursor(state.stage, state.since, state.previous_stage).state_at(at, ruleset.default_stage)
    if _one_writer():
        results, _ = _bring_up_unlocked(customers=Customer.objects.filter(pk=customer.pk), at=at, ruleset=ruleset)
        return results[customer.pk]
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        results, _ = _bring_up_locked(customers=[locked], at=at, ruleset=ruleset)
    return results[customer.pk]


def run_finish(run: EvaluationRun, *, outcome: str, error: str = "", at: dt.datetime | None = None) -> EvaluationRun:
    """Records how `run` ended, and when (`at`, default now: a run found interrupted ended at its last beat)."""
    run.refresh_from_db()
    run.finished_at = at or timezone.now()
    run.duration_ms = int((run.finished_at - run.started_at).total_seconds() * 1000)
    run.outcome = outcome
    run.error = error
    run.save(update_fields=["finished_at", "duration_ms", "outcome", "error"])
    return run


# How many of the customers a run skips it lists (the count goes on).
SKIPPED_KEPT = 1000


def run_skip(run: EvaluationRun, *, customer_id: int, error: Exception) -> None:
    """Records on `run` a customer it could not evaluate, and why (in the caller's transaction, if any)."""
    reason = f"{type(error).__name__}: {error}"[:300]
    logger.warning("Run %s skipped customer %s: %s", run.pk, customer_id, reason, exc_info=error)
    external_id = Customer.objects.filter(pk=customer_id).values_list("external_id", flat=True).first()
    with transaction.atomic():
        locked = EvaluationRun.objects.select_for_update().get(pk=run.pk)
        locked.skipped += 1
        if len(locked.skipped_customers) < SKIPPED_KEPT:
            locked.skipped_customers.append({"id": customer_id, "customer": external_id, "reason": reason})
        locked.save(update_fields=["skipped", "skipped_customers"])


# What the claim reads of a customer (the _Claimed fields, the facts' profile fields among them) and of
# their stored stage, in one statement.
_CLAIMED = ("pk", "created_at", "dirty_since", *PROFILE_FIELDS)
_STORED = tuple(f"stage_state__{name}" for name in ("stage", "since", "previous_stage", "evaluated_through", "settled"))


def _claim_changed(*, at: dt.datetime, batch: int) -> tuple[list[_Claimed], dict[int, _Stored]]:
    """Locks up to `batch` customers with changes up to `at` (skipping those another worker holds); returns
    them with their stored stages."""
    claimed = (
        customers_changed(at=at)
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("pk")
        .values_list(*_CLAIMED, *_STORED)[:batch]
    )
    customers, stored = [], {}
    split = len(_CLAIMED)
    for row in _fast_rows(claimed):
        customers.append(_Claimed(*row[:split]))
        if row[split] is not None:
            stored[row[0]] = _Stored(*row[split:])
    return customers, stored


def _one_writer() -> bool:
    """Whether the database has no row locks, only one writer at a time (SQLite): a transaction held while
    histories are worked out would hold every other write of the console (a login, a decision's log)
    for as long, and fail it as "database is locked" once the busy timeout has passed."""
    return not connection.features.has_select_for_update


def _with_inputs(customers, *, at: dt.datetime):
    """The customers annotated with what _bring_up_unlocked reads of their queued changes up to `at`."""
    return customers.annotate(changes_since=customer_changes_since(), last_change=customer_changes_last(until=at))


def _inputs(customer_ids: list[int], *, at: dt.datetime) -> dict[int, tuple]:
    """What an evaluation up to `at` depends on, besides the signals: dirty_since, the stored stage's
    evaluated_through, and the earliest and the last change queued up to `at`."""
    rows = _with_inputs(Customer.objects.filter(pk__any_of=customer_ids), at=at).values_list(
        "pk", "dirty_since", "stage_state__evaluated_through", "changes_since", "last_change"
    )
    return {
        pk: (dirty, through, since if since is not None and since <= at else None, last)
        for pk, dirty, through, since, last in rows
    }


def _bring_up_unlocked(
    *, customers, at: dt.datetime, ruleset: CompiledRuleSet, run: EvaluationRun | None = None, batch: int | None = None
) -> tuple[dict[int, StageState], _Evaluated]:
    """Where there is one writer (_one_writer): brings up to `at` the (first `batch`) customers of the
    queryset `customers`, as _bring_up_locked does, working their histories out outside any transaction
    and writing them in a short one. Returns the states of all, and what was written.

    Nothing is locked meanwhile, so the write first reads each customer's inputs again (_inputs): one
    that another writer evaluated, folded changes into or queued a change for meanwhile is left as it
    is (a run finds it still changed and takes it again). The signals are read after the inputs, so
    they hold at least those of the changes taken.
    """
    rows = list(
        _with_inputs(customers, at=at)
        .order_by("pk")
        .values_list(*_CLAIMED, *_STORED, "changes_since", "last_change")[:batch]
    )
    claimed, stored, taken, read = [], {}, {}, {}
    split, end = len(_CLAIMED), len(_CLAIMED) + len(_STORED)
    for row in rows:
        customer = _Claimed(*row[:split])
        claimed.append(customer)
        if row[split] is not None:
            stored[customer.pk] = _Stored(*row[split:end])
        since, last = row[end:]
        if since is not None and since <= at:
            taken[customer.pk] = since
        through = stored[customer.pk].evaluated_through if customer.pk in stored else None
        read[customer.pk] = (customer.dirty_since, through, taken.get(customer.pk), last)
    if not claimed:
        return {}, _Evaluated({}, [], [], {}, [], [])
    evaluated = _evaluate(customers=claimed, at=at, ruleset=ruleset, run=run, stored=stored, taken=taken)
    with transaction.atomic():
        unchanged = {pk for pk, inputs in _inputs(list(read), at=at).items() if inputs == read[pk]}
        customer_changes_take(customer_ids=sorted(unchanged), until=at)
        written = evaluated.of(unchanged)
        _evaluated_write(written, at=at)
        if run is not None:
            _run_progress(run, customers=len(unchanged), transitions=len(written.transitions))
    return evaluated.results, written


def _run_progress(run: EvaluationRun, *, customers: int, transitions: int) -> None:
    """Counts a batch of an incremental run done (in the batch's transaction)."""
    EvaluationRun.objects.filter(pk=run.pk).update(
        customers=F("customers") + customers,
        transitions=F("transitions") + transitions,
        chunks_done=F("chunks_done") + 1,
        chunks_total=F("chunks_done") + 1,
        heartbeat_at=timezone.now(),
    )


def stages_evaluate_changed(*, at: dt.datetime | None = None, batch: int = CHANGED_BATCH) -> EvaluationRun:
    """Brings every customer with new signals (queued by the ingest, or dirty_since) up to `at` in event time.

    Each batch claims its customers by locking their rows (skipping those another worker holds) and
    takes their queued changes and clears dirty_since in the same transaction: a crash rolls the
    claim back with the work. Where there is one writer (SQLite), a batch is worked out holding no
    lock and written in a short transaction (_bring_up_unlocked). A customer whose history cannot be
    worked out is recorded on the run with the reason (run_skip), and taken off the queue like the others.
    """
    at = at or timezone.now()
    ruleset = published_ruleset()
    now = timezone.now()
    run = EvaluationRun.objects.create(kind=EvaluationRunKind.CHANGED, as_of=at, started_at=now, heartbeat_at=now)
    # Outside any transaction of the caller's, what a second connection sees is what the run sees.
    reader = _SignalReader() if connection.vendor == "postgresql" and not connection.in_atomic_block else None
    try:
        while True:
            if _one_writer():
                results, _ = _bring_up_unlocked(
                    customers=customers_changed(at=at), at=at, ruleset=ruleset, run=run, batch=batch
                )
                if not results:
                    break
                continue
            with transaction.atomic():
                customers, stored = _claim_changed(at=at, batch=batch)
                if not customers:
                    break
                _, transitions = _bring_up_locked(
                    customers=customers, at=at, ruleset=ruleset, run=run, stored=stored, reader=reader
                )
                _run_progress(run, customers=len(customers), transitions=transitions)
    except Exception as exc:
        run_finish(run, outcome=RunOutcome.FAILED, error=repr(exc))
        raise
    finally:
        if reader is not None:
            reader.close()
    return run_finish(run, outcome=RunOutcome.SUCCEEDED)


_STAGE_COLUMNS = (
    "customer_id",
    "stage",
    "since",
    "previous_stage",
    "evaluated_through",
    "ruleset_number",
    "settled",
)
# What a stored stage's upsert replaces: every column but the key.
_STAGE_UPDATED = _STAGE_COLUMNS[1:]
_STAGE_UPSERT = "ON CONFLICT (customer_id) DO UPDATE SET " + ", ".join(
    f"{column} = excluded.{column}" for column in _STAGE_UPDATED
)
_TRANSITION_COLUMNS = (
    "customer_id",
    "from_stage",
    "to_stage",
    "at",
    "facts",
    "ruleset_number",
    "run_id",
    "recorded_at",
)


def _named(sql: str, params: Iterable[Any], prefix: str) -> tuple[str, dict[str, Any]]:
    """Django's positional %s placeholders as named ones, to splice compiled SQL into a pyformat statement."""
    values = iter(params)
    named: dict[str, Any] = {}

    def name(match: re.Match) -> str:
        if match.group() == "%%":
            return "%%"
        key = f"{prefix}{len(named)}"
        named[key] = next(values)
        return f"%({key})s"

    return re.sub(r"%%|%s", name, sql), named


def _rules_case_sql(
    *, ruleset: CompiledRuleSet, alias: str, stage: str, previous: str, days_in_stage, prefix: str
) -> tuple[str, dict[str, Any]]:
    """The rules as one SQL CASE over the fact columns of `alias`, with the given SQL for `stage` and
    `previous_stage` and the expression for `days_in_stage`."""
    fields = {field.name: field for field in CustomerFacts._meta.get_fields() if hasattr(field, "column")}
    columns: dict[str, Any] = {
        # A day fact is stored as an instant; in `alias` it is the day count.
        fact.name: RawSQL(f"{alias}.{fact.name}", (), output_field=fields.get(fact.name, IntegerField()))
        for fact in CXCORE_FACTS
    }
    columns.update(
        stage=RawSQL(stage, (), output_field=CharField()),
        previous_stage=RawSQL(previous, (), output_field=CharField()),
        days_in_stage=days_in_stage,
    )
    query = Query(CustomerFacts)
    compiler = query.get_compiler(connection=connection)
    case = ruleset.sql_case(columns).resolve_expression(query)
    sql, params = compiler.compile(case)
    return _named(sql, params, prefix)


def _stage_statements(*, ruleset: CompiledRuleSet, as_of: dt.datetime) -> tuple[list[str], dict[str, Any]]:
    """The statements evaluating and storing the stages of the customers lo <= id < hi as of `as_of`, and
    their parameters (those of facts_params, lo, hi, run_id and the rules' own).

    `sn` reads each customer's facts at `as_of` from CustomerFacts (which the caller has brought to
    `as_of`) with the stage held, leaving alone the customers already brought past `as_of` and those
    whose relationship has not begun by then (created, or first heard of, later: the event-time path
    starts a history there too, so a replay of imported data gives nobody a stage before it), and runs
    the rules' CASE over them; `ch` is the customers whose stage changes, with the facts that made
    it and whether the rules keep the new stage as it begins (settled, as _settled has it). The
    transitions and stored stages are written from `ch` in the database, set-based. The last
    statement answers (customers evaluated, transitions). On PostgreSQL this is one statement; on
    SQLite, which has no INSERT in a WITH, three, each evaluating the rules again (stored stages
    change only in the last).
    """
    from cxcore.facts.set_based import stored_facts_sql

    postgresql = connection.vendor == "postgresql"
    case, params = _rules_case_sql(
        ruleset=ruleset,
        alias="st",
        stage="st.old_stage",
        previous="st.old_previous",
        days_in_stage=DaysSince(RawSQL("st.old_since", (), output_field=DateTimeField()), at=as_of),
        prefix="rule",
    )
    if ruleset.follows_up:
        keeps, keeps_params = _rules_case_sql(
            ruleset=ruleset,
            alias="sn",
            stage="sn.new_stage",
            previous="sn.old_stage",
            days_in_stage=Value(0, output_field=IntegerField()),
            prefix="settled",
        )
        settled = f"({keeps}) = sn.new_stage"
        params.update(keeps_params)
    else:
        settled = "TRUE" if postgresql else "1"
    names = [fact.name for fact in CXCORE_FACTS]
    facts = stored_facts_sql(connection.vendor, "f")
    days_in_stage = DaysSince(RawSQL("sn.old_since", (), output_field=DateTimeField()), at=as_of)
    days_sql, days_params = Query(CustomerFacts).get_compiler(connection=connection).compile(days_in_stage)
    days_sql, named_days = _named(days_sql, days_params, "days")
    params.update(named_days)
    held = f"""SELECT f.customer_id, {", ".join(f"{facts[name]} AS {name}" for name in names)},
            cs.stage AS old_stage, cs.since AS old_since, cs.previous_stage AS old_previous
        FROM {CustomerFacts._meta.db_table} f LEFT JOIN {CustomerStage._meta.db_table} cs
            ON cs.customer_id = f.customer_id AND cs.customer_id >= %(lo)s AND cs.customer_id < %(hi)s
        WHERE f.customer_id >= %(lo)s AND f.customer_id < %(hi)s AND f.tenure_start <= %(at)s
            AND (cs.customer_id IS NULL OR cs.evaluated_through < %(at)s)"""
    facts_json = ", ".join(
        [f"'{name}', sn.{name}" for name in names]
        + ["'stage', sn.old_stage", "'previous_stage', sn.old_previous", f"'days_in_stage', {days_sql}"]
    )
    facts_doc = f"jsonb_build_object({facts_json})" if postgresql else f"json_object({facts_json})"
    ctes = f"""sn AS (SELECT st.*, {case} AS new_stage FROM ({held}) st),
        ch AS (SELECT sn.customer_id, sn.old_stage, sn.new_stage, {facts_doc} AS facts, {settled} AS settled
            FROM sn WHERE sn.old_stage IS NULL OR sn.old_stage <> sn.new_stage)"""
    stages = CustomerStage._meta.db_table
    # A repeated transition is skipped; a stored stage another path brought further is left alone.
    # (`WHERE 1 = 1` tells SQLite's parser that ON CONFLICT is not a join's ON.)
    write_transitions = f"""INSERT INTO {StageTransition._meta.db_table} ({", ".join(_TRANSITION_COLUMNS)})
        SELECT customer_id, old_stage, new_stage, %(at)s, facts, %(ruleset_number)s, %(run_id)s, %(now)s
        FROM {{ch}} WHERE 1 = 1 ON CONFLICT DO NOTHING"""
    write_stages = f"""INSERT INTO {stages} ({", ".join(_STAGE_COLUMNS)})
        SELECT customer_id, new_stage, %(at)s, old_stage, %(at)s, %(ruleset_number)s, settled FROM {{ch}} WHERE 1 = 1
        {_STAGE_UPSERT} WHERE {stages}.evaluated_through < excluded.evaluated_through"""
    counts = "SELECT (SELECT count(*) FROM sn), (SELECT count(*) FROM ch)"
    params["ruleset_number"] = ruleset.number
    if postgresql:
        statement = f"""WITH {ctes},
            written AS ({write_transitions.format(ch="ch")}),
            stored AS ({write_stages.format(ch="ch")})
            {counts}"""
        return [statement], params
    changes = f"(WITH {ctes} SELECT * FROM ch) ch"
    return [
        write_transitions.format(ch=changes),
        f"WITH {ctes} {counts}",
        write_stages.format(ch=changes),
    ], params


def _evaluate_range(*, lo: int, hi: int, as_of: dt.datetime, ruleset: CompiledRuleSet, run: EvaluationRun | None):
    """Facts and stages of the customers lo <= id < hi as of `as_of`; returns (customers evaluated, transitions,
    facts computed again).

    The stored facts are brought to `as_of` first (only those that time or new signals changed are
    computed again from the signals); then the rules, compiled to one CASE over them, give each
    customer's stage, and only the changes are written, all in the database. An unchanged
    customer's stored stage keeps its evaluated_through: the event-time path goes on from there
    when it needs to, exactly.
    """
    from cxcore.facts import set_based

    refreshed = set_based.facts_refresh(at=as_of, id_range=(lo, hi))
    params = set_based.facts_params(connection.vendor, at=as_of)
    params.update(lo=lo, hi=hi, run_id=run.pk if run is not None else None)
    statements, stage_params = _stage_statements(ruleset=ruleset, as_of=as_of)
    params.update(stage_params)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # JIT compiling the CASE costs more than it saves per chunk.
            cursor.execute("SET LOCAL jit = off")
        for statement in statements:
            cursor.execute(statement, params)
            if cursor.description:
                customers, transitions = cursor.fetchone()
    return customers, transitions, refreshed


def evaluation_run_start(
    *, as_of: dt.datetime, kind: str = EvaluationRunKind.FULL, chunk_size: int = CHUNK_SIZE, started_by=None
) -> EvaluationRun:
    """Records a set-based run over every customer id as of `as_of`, in chunks of id ranges, not started yet."""
    bounds = Customer.objects.aggregate(lo=Min("pk"), hi=Max("pk"))
    lo, hi = bounds["lo"], bounds["hi"]
    chunks = 0 if lo is None else math.ceil((hi - lo + 1) / chunk_size)
    return EvaluationRun.objects.create(
        kind=kind,
        as_of=as_of,
        started_at=timezone.now(),
        first_id=lo,
        last_id=hi,
        chunks_total=chunks,
        started_by=started_by,
    )


def evaluation_run_queue(*, user) -> EvaluationRun:
    """A full run as of now, recorded at once (the console shows it) and started by a worker after commit."""
    from membrane.tasks import reevaluate_all

    with transaction.atomic():
        run = evaluation_run_start(as_of=timezone.now(), started_by=user)
        transaction.on_commit(lambda: reevaluate_all.delay(run.pk))
    return run


def _chunks(run: EvaluationRun) -> list[tuple[int, int, int]]:
    """(k, lo, hi) of each chunk of the run's id span, hi included."""
    size = max(1, math.ceil((run.last_id - run.first_id + 1) / max(run.chunks_total, 1)))
    return [(k, lo, min(lo + size - 1, run.last_id)) for k, lo in enumerate(range(run.first_id, run.last_id + 1, size))]


def _evaluate_chunk(run: EvaluationRun, *, k: int, lo: int, hi: int, ruleset: CompiledRuleSet) -> tuple[int, int, int]:
    """One chunk in one transaction, which also records it done: a resumed run skips exactly the chunks that
    committed. Returns (customers evaluated, transitions, facts computed again)."""
    with transaction.atomic():
        customers, transitions, computed = _evaluate_range(lo=lo, hi=hi + 1, as_of=run.as_of, ruleset=ruleset, run=run)
        # Locked last, so chunks running side by side wait on each other only for their commits.
        done = EvaluationRun.objects.select_for_update().get(pk=run.pk)
        if k in done.done_chunks:
            # Another worker did this chunk meanwhile (a run resumed while it was only slow): the work
            # above changed nothing it had not, and is not counted twice.
            return 0, 0, computed
        done.done_chunks = sorted({*done.done_chunks, k})
        done.chunks_done = len(done.done_chunks)
        done.customers += customers
        done.transitions += transitions
        done.heartbeat_at = timezone.now()
        done.save(update_fields=["done_chunks", "chunks_done", "customers", "transitions", "heartbeat_at"])
    return customers, transitions, computed


def _evaluate_chunk_on_own_connection(run: EvaluationRun, **chunk) -> tuple[int, int, int]:
    try:
        return _evaluate_chunk(run, **chunk)
    finally:
        # This thread's connection: the pool's threads end with the run.
        connection.close()


def _side_by_side() -> int:
    """How many chunks run at once, each on a connection of its own: the database does most of a chunk's
    work, on one core per connection. Only on PostgreSQL, and outside a caller's transaction, whose
    uncommitted rows other connections could not see."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1
    return max(1, settings.EVALUATION_CONNECTIONS)


def stages_evaluate_all(
    *, as_of: dt.datetime | None = None, run: EvaluationRun | None = None, chunk_size: int = CHUNK_SIZE
) -> EvaluationRun:
    """Facts and stages of every customer as of `as_of`, set-based, chunk by chunk; resumes `run` if given.

    Each chunk (a range of customer ids) commits on its own with the run's progress, so an
    interrupted run continues with the chunks not done, and a repeated one finds nothing left to
    change. On PostgreSQL, settings.EVALUATION_CONNECTIONS chunks run side by side.
    """
    if run is None:
        run = evaluation_run_start(as_of=as_of or timezone.now(), chunk_size=chunk_size)
    elif run.outcome == RunOutcome.SUCCEEDED:
        return run
    else:
        # A worker taking up a run (queued, or resumed after an interruption) gives its first beat.
        EvaluationRun.objects.filter(pk=run.pk).update(
            outcome=RunOutcome.RUNNING, error="", heartbeat_at=timezone.now()
        )
    run.refresh_from_db()
    ruleset = published_ruleset()
    if run.first_id is None:
        return run_finish(run, outcome=RunOutcome.SUCCEEDED)
    todo = [dict(k=k, lo=lo, hi=hi, ruleset=ruleset) for k, lo, hi in _chunks(run) if k not in run.done_chunks]
    workers = min(_side_by_side(), len(todo))
    try:
        if workers <= 1:
            results = [_evaluate_chunk(run, **chunk) for chunk in todo]
        else:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="full-run") as pool:
                futures = [pool.submit(_evaluate_chunk_on_own_connection, run, **chunk) for chunk in todo]
                try:
                    results = [future.result() for future in futures]
                except BaseException:
                    # The chunks under way finish (and commit) before the run is marked failed.
                    pool.shutdown(cancel_futures=True)
                    raise
    except Exception as exc:
        run_finish(run, outcome=RunOutcome.FAILED, error=repr(exc))
        raise
    evaluated = sum(customers for customers, _, _ in results)
    rewritten = [
        model._meta.db_table
        for model, written in (
            (CustomerFacts, sum(computed for _, _, computed in results)),
            (CustomerStage, sum(transitions for _, transitions, _ in results)),
        )
        if written * 2 > evaluated
    ]
    _analyze_after_rewrite(rewritten)
    return run_finish(run, outcome=RunOutcome.SUCCEEDED)


def _analyze_after_rewrite(tables: list[str]) -> None:
    """Fresh planner statistics for the tables a run rewrote most of (facts after an import, stages on a
    first run).

    The next runs' plans depend on them (how many facts rows a range holds): autovacuum gathers them
    in time where it runs, not where it is off.
    """
    if connection.vendor != "postgresql" or not tables:
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(tables)}")


def stages_replay(*, since: dt.datetime, until: dt.datetime, step: dt.timedelta) -> list[EvaluationRun]:
    """Set-based runs at since, since + step, ... until: a history for imported data.

    Afterwards the imported signals count as evaluated: dirty_since is cleared for customers who
    received no signal while the replay ran, so the incremental path does not redo them one by one.
    """
    started = timezone.now()
    runs = []
    at = since
    while at <= until:
        run = evaluation_run_start(as_of=at, kind=EvaluationRunKind.REPLAY)
        runs.append(stages_evaluate_all(run=run))
        at += step
    if runs and runs[-1].as_of < until:
        runs.append(stages_evaluate_all(run=evaluation_run_start(as_of=until, kind=EvaluationRunKind.REPLAY)))
    received_since = Signal.objects.filter(customer_id=OuterRef("pk"), received_at__gte=started)
    customer_changes_fold()
    Customer.objects.filter(dirty_since__lte=until).exclude(Exists(received_since)).update(dirty_since=None)
    return runs
