"""Keeping agent tasks in step with the prescribing principles (DESIGN.md section 7).

The semantics, per customer and prescribing principle, as of a time `at`:

- An *episode* is a stretch of time during which the condition holds. Its tasks are those with
  `episode_ended_at` null; when the condition stops holding (or the principle is no longer
  published) the open task is closed (status closed, closed_at = at) and every task of the
  episode gets `episode_ended_at = at`.
- While the condition holds, a task opens when none is open and, for a non-repeating action, the
  episode has none yet: done once, it stays done until the condition stops and holds again.
- A repeating action (`repeat_days` R) opens again once R days have passed since the latest task
  of the episode was opened. If that task is still open then, it *expires*: it is closed
  (status closed, closed_at = at) while the episode goes on, and the next one opens. So an
  expired task is a closed one whose closed_at is before its episode_ended_at (or whose episode
  has not ended); `task_expired` tells them apart.
- The database allows one open task per customer and principle, so two syncs racing open one.

Two paths compute exactly this. `actions_sync(customer_ids=[...])` goes customer by customer,
with the facts and the stage brought up to `at` (the customers of a run of changed customers).
`actions_sync()` for everyone is set-based: for each published prescribing principle a few
statements over the stored facts (CustomerFacts, computed again first where they do not give the
facts at `at`) and the stored stage (CustomerStage, `days_in_stage` counted to `at`). The stored
stage counts as the stage at `at` for customers whose history is complete up to at most `at` and
who have no unevaluated signal dated up to `at`; the others (never evaluated, or new signals pending) take the
per-customer path. Customers already evaluated past `at` are left alone: a later sync has seen
them, and going back in time would close what it opened. A principle that reads the local hour or
weekday is evaluated in Python over the same stored rows (the customer's timezone is a Python matter).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import CharField, DateTimeField, Exists, IntegerField, OuterRef, Q, QuerySet, Value
from django.utils import timezone

from cxcore.facts.selectors import facts_valid_at, row_facts
from cxcore.facts.set_based import facts_refresh
from cxcore.models import Customer, CustomerChange, CustomerFacts
from membrane.catalogue import fact_types_for
from membrane.decisions.engine import CompiledPrinciple, ruleset_get
from membrane.decisions.facts import customer_row, interaction_context
from membrane.decisions.selectors import decision_inputs_of
from membrane.expressions import check, compile_sql
from membrane.models.decisions import AgentTask, TaskStatus
from membrane.models.principles import PrincipleVersion
from membrane.stages.facts import stored_stage_facts
from membrane.stored_facts import LOCAL_TIME, stored_fact_columns

# An agent's work on a task lives in work.py; its services are named here too, where callers look for them.
from .work import (  # noqa: F401
    TASK_STEPS,
    TaskChange,
    TaskRefused,
    agent_task_claim,
    agent_task_complete,
    agent_task_dismiss,
    agent_task_release,
    agent_task_step,
    agent_task_undo,
)

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
CHUNK = 500
FACTS_CHUNK = 10_000
# Interaction facts: none exists when a sync asks which actions a customer needs.
NO_INTERACTION = ("team", "category", "channel")


@dataclass
class SyncCounts:
    customers: int = 0
    opened: int = 0
    closed: int = 0
    expired: int = 0

    def add(self, other: SyncCounts) -> None:
        self.customers += other.customers
        self.opened += other.opened
        self.closed += other.closed
        self.expired += other.expired

    def as_dict(self) -> dict[str, int]:
        return {"customers": self.customers, "opened": self.opened, "closed": self.closed, "expired": self.expired}


def task_expired(task: AgentTask) -> bool:
    """Closed because the next repetition came due, not because the condition stopped holding."""
    return task.status == TaskStatus.CLOSED and (
        task.episode_ended_at is None or task.closed_at < task.episode_ended_at
    )


def _task_values(principle: CompiledPrinciple, at: dt.datetime) -> dict:
    return {
        "principle_id": principle.principle_id,
        "version_id": principle.version_id,
        "kind": principle.params["action"],
        "team": principle.params["team"],
        "status": TaskStatus.OPEN,
        "opened_at": at,
        "due_at": at + principle.params["due_hours"] * HOUR,
    }


# --- per customer ------------------------------------------------------------------------------


def _sync_one(customer: Customer, prescribes: tuple[CompiledPrinciple, ...], at: dt.datetime) -> SyncCounts:
    counts = SyncCounts(customers=1)
    episodes: dict[int, list[AgentTask]] = defaultdict(list)
    for task in AgentTask.objects.filter(customer=customer, episode_ended_at__isnull=True):
        episodes[task.principle_id].append(task)
    if not prescribes and not episodes:
        return counts
    row, _stage = customer_row(inputs=decision_inputs_of(customer, at=at), at=at)
    holding = {p.principle_id: p for p in prescribes if p.predicate(row)}
    mine = AgentTask.objects.filter(customer=customer)
    for principle_id in episodes:
        if principle_id in holding:
            continue
        counts.closed += mine.filter(principle_id=principle_id, status=TaskStatus.OPEN).update(
            status=TaskStatus.CLOSED, closed_at=at, episode_ended_at=at
        )
        mine.filter(principle_id=principle_id, episode_ended_at__isnull=True).update(episode_ended_at=at)
    for principle_id, principle in holding.items():
        episode = episodes.get(principle_id, [])
        repeat = principle.params.get("repeat_days")
        if repeat:
            cutoff = at - repeat * DAY
            counts.expired += mine.filter(
                principle_id=principle_id, status=TaskStatus.OPEN, opened_at__lte=cutoff
            ).update(status=TaskStatus.CLOSED, closed_at=at)
            if any(task.opened_at > cutoff for task in episode):
                continue
        elif episode:
            continue
        try:
            with transaction.atomic():
                AgentTask.objects.create(customer=customer, **_task_values(principle, at))
            counts.opened += 1
        except IntegrityError:
            pass  # another sync opened it meanwhile: one open task per customer and principle
    return counts


def _customers(customer_ids: Iterable[int]) -> Iterable[Customer]:
    ids = sorted(set(customer_ids))
    for start in range(0, len(ids), CHUNK):
        yield from Customer.objects.filter(pk__in=ids[start : start + CHUNK]).order_by("pk")


def _sync_customers(customer_ids: Iterable[int], prescribes, at: dt.datetime) -> SyncCounts:
    counts = SyncCounts()
    for customer in _customers(customer_ids):
        # One customer's closes, expiries and opens land together or not at all.
        with transaction.atomic():
            counts.add(_sync_one(customer, prescribes, at))
    return counts


# --- everyone, set-based -----------------------------------------------------------------------


def _facts_bring_to(at: dt.datetime) -> None:
    """Stored facts of every customer that give the facts at `at`: the others are computed again."""

    facts_refresh(at=at)


def _population(at: dt.datetime) -> QuerySet:
    """The stored fact rows whose stored stage is the customer's stage at `at` (see the module docstring)."""
    # Signals dated after `at` change nothing at `at`: only those up to it send a customer the other way.
    return CustomerFacts.objects.filter(
        Q(customer__dirty_since__isnull=True) | Q(customer__dirty_since__gt=at),
        facts_valid_at(at=at, prefix=""),
        ~Exists(CustomerChange.objects.filter(customer_id=OuterRef("customer_id"), since__lte=at)),
        customer__stage_state__evaluated_through__lte=at,
    ).order_by()


def _columns(at: dt.datetime) -> dict:

    columns = stored_fact_columns(at=at)
    columns.update({name: Value(None, output_field=CharField()) for name in NO_INTERACTION})
    return columns


def _checked(principle: CompiledPrinciple):

    source = PrincipleVersion.objects.values_list("condition", flat=True).get(pk=principle.version_id)
    return check(source, fact_types_for("principle"))


def _holding_python(principle: CompiledPrinciple, population: QuerySet, at: dt.datetime) -> list[int]:
    """The customers of `population` for whom a condition reading the local time holds, from the stored rows."""
    holding = []
    rows = population.select_related("customer", "customer__stage_state").order_by("customer_id")
    for facts in rows.iterator(chunk_size=2000):
        row = row_facts(facts, at=at)
        row.update(stored_stage_facts(facts.customer.stage_state, at=at))
        row.update(interaction_context(customer=facts.customer, interaction=None, at=at))
        if principle.predicate(row):
            holding.append(facts.customer_id)
    return holding


def _insert_select(queryset: QuerySet, columns: list[str]) -> int:
    """INSERT ... SELECT, skipping a customer whose open task another sync has just opened."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {AgentTask._meta.db_table} ({', '.join(columns)}) {sql} ON CONFLICT DO NOTHING", params
        )
        return cursor.rowcount


def _sync_principle(principle: CompiledPrinciple, population: QuerySet, at: dt.datetime) -> SyncCounts:
    counts = SyncCounts()
    if any(name in LOCAL_TIME for name in principle.facts):
        holds = population.filter(customer_id__in=_holding_python(principle, population, at))
    else:
        holds = population.filter(_compile(principle, at))
    holding_ids = holds.values("customer_id")
    tasks = AgentTask.objects.filter(principle_id=principle.principle_id)
    # The condition stopped holding: the open task closes and the episode ends.
    ending = tasks.filter(customer_id__in=population.values("customer_id"), episode_ended_at__isnull=True).exclude(
        customer_id__in=holding_ids
    )
    counts.closed = ending.filter(status=TaskStatus.OPEN).update(
        status=TaskStatus.CLOSED, closed_at=at, episode_ended_at=at
    )
    ending.update(episode_ended_at=at)
    # Still holding: a repetition that has come due expires the open task, and blocks nothing.
    episode = tasks.filter(episode_ended_at__isnull=True)
    repeat = principle.params.get("repeat_days")
    if repeat:
        cutoff = at - repeat * DAY
        counts.expired = tasks.filter(
            customer_id__in=holding_ids, status=TaskStatus.OPEN, opened_at__lte=cutoff
        ).update(status=TaskStatus.CLOSED, closed_at=at)
        blocking = episode.filter(Q(opened_at__gt=cutoff) | Q(status=TaskStatus.OPEN))
    else:
        blocking = episode
    values = _task_values(principle, at)
    new = (
        holds.exclude(customer_id__in=blocking.values("customer_id"))
        .annotate(
            n_principle=Value(values["principle_id"], output_field=IntegerField()),
            n_version=Value(values["version_id"], output_field=IntegerField()),
            n_kind=Value(values["kind"], output_field=CharField()),
            n_team=Value(values["team"], output_field=CharField()),
            n_status=Value(values["status"], output_field=CharField()),
            n_opened=Value(values["opened_at"], output_field=DateTimeField()),
            n_due=Value(values["due_at"], output_field=DateTimeField()),
            n_created=Value(timezone.now(), output_field=DateTimeField()),
        )
        .values_list(
            "customer_id", "n_principle", "n_version", "n_kind", "n_team", "n_status", "n_opened", "n_due", "n_created"
        )
    )
    counts.opened = _insert_select(
        new,
        ["customer_id", "principle_id", "version_id", "kind", "team", "status", "opened_at", "due_at", "created_at"],
    )
    return counts


def _compile(principle: CompiledPrinciple, at: dt.datetime) -> Q:

    return compile_sql(_checked(principle), _columns(at))


def _sync_everyone(prescribes: tuple[CompiledPrinciple, ...], at: dt.datetime) -> SyncCounts:
    _facts_bring_to(at)
    population = _population(at)
    counts = SyncCounts(customers=population.count())
    with transaction.atomic():
        for principle in prescribes:
            counts.add(_sync_principle(principle, population, at))
        # Tasks of principles no longer published: their episodes end as if the condition stopped holding.
        unpublished = AgentTask.objects.filter(
            customer_id__in=population.values("customer_id"), episode_ended_at__isnull=True
        ).exclude(principle_id__in=[p.principle_id for p in prescribes])
        counts.closed += unpublished.filter(status=TaskStatus.OPEN).update(
            status=TaskStatus.CLOSED, closed_at=at, episode_ended_at=at
        )
        unpublished.update(episode_ended_at=at)
    rest = (
        Customer.objects.exclude(pk__in=population.values("customer_id"))
        .exclude(stage_state__evaluated_through__gt=at)
        .order_by("pk")
    )
    last = 0
    while ids := list(rest.filter(pk__gt=last).values_list("pk", flat=True)[:FACTS_CHUNK]):
        counts.add(_sync_customers(ids, prescribes, at))
        last = ids[-1]
    return counts


def actions_sync(*, customer_ids: Iterable[int] | None = None, at: dt.datetime | None = None) -> dict[str, int]:
    """Opens, expires and closes tasks as of `at` (default now) for the given customers, everyone when None.

    Safe to run twice: a second run at the same time changes nothing.
    """
    at = at or timezone.now()
    prescribes = ruleset_get().prescribes
    if customer_ids is not None:
        return _sync_customers(customer_ids, prescribes, at).as_dict()
    return _sync_everyone(prescribes, at).as_dict()
