"""The run lifecycle: a run is started (or queued for a worker), evaluates its customers, and finishes.

- A full run (`stages_evaluate_all`) evaluates every customer as of a time, set-based, in chunks of
  customer ids (stages.set_based). Each chunk is one transaction that also records it done, so an
  interrupted run resumes with the chunks not done, and a repeated one changes nothing. On
  PostgreSQL, chunks run side by side on connections of their own.
- An incremental run (`stages_evaluate_changed`) brings the customers with new signals up to a
  time in event time (stages.event_time), in batches that claim their customers.

A run records what it did as it goes (chunks, customers, transitions, a beat) and the customers it
could not evaluate; the sweep of stalled runs (stalled.py) takes up those whose worker stopped.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max, Min
from django.dispatch import Signal
from django.utils import timezone

from cxcore.gc_pause import collector_paused
from cxcore.models import Customer, CustomerFacts
from cxcore.selectors import customers_changed
from membrane.models import CustomerStage, EvaluationRun
from membrane.models.stages import EvaluationRunKind, RunOutcome
from membrane.stages import event_time
from membrane.stages.event_time import ForRun, bring_up_locked, bring_up_unlocked, one_writer
from membrane.stages.inputs import SignalReader, claim_changed
from membrane.stages.rules import CompiledRuleSet, published_ruleset
from membrane.stages.set_based import stages_evaluate_range

logger = logging.getLogger(__name__)

# Customers per chunk (a range of ids, one transaction): large enough that a chunk's fixed costs
# (planning, the per-customer aggregate's setup) vanish, small enough that its hash tables fit in work_mem.
CHUNK_SIZE = 250_000
CHANGED_BATCH = 5000
# How many of the customers a run skips it lists (the count goes on).
SKIPPED_KEPT = 1000

# Sent with `run_id` once a full run recorded here is committed, for a worker to carry it out: the task
# that does (runs.tasks.reevaluate_all) calls these services, so they cannot name it.
full_run_queued = Signal()


def run_finish(*, run: EvaluationRun, outcome: str, error: str = "", at: dt.datetime | None = None) -> EvaluationRun:
    """Records how `run` ended, and when (`at`, default now: a run found interrupted ended at its last beat);
    returns the run as stored, with what it counted as it went."""
    finished_at = at or timezone.now()
    duration_ms = int((finished_at - run.started_at).total_seconds() * 1000)
    table = EvaluationRun._meta.db_table
    # One statement that also reads back the counts the batches added (a run of one customer paid a round
    # trip more for them).
    finished = EvaluationRun.objects.raw(
        f"UPDATE {table} SET finished_at = %s, duration_ms = %s, outcome = %s, error = %s WHERE id = %s RETURNING *",
        [finished_at, duration_ms, outcome, error, run.pk],
    )
    return next(iter(finished))


def run_skip(*, run: EvaluationRun, customer_id: int, error: Exception) -> None:
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


def run_progress(*, run: EvaluationRun, customers: int, transitions: int) -> None:
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
    lock and written in a short transaction (bring_up_unlocked). A customer whose history cannot be
    worked out is recorded on the run with the reason (run_skip), and taken off the queue like the others.
    """
    at = at or timezone.now()
    # A batch's histories allocate hundreds of thousands of rows, summaries and facts that live until it is
    # written, none in a cycle: the collector walked them again and again and freed nothing (a quarter of the
    # run's CPU for 10,000 customers).
    with _commits_not_waited_for(), collector_paused():
        return _evaluate_changed(at=at, batch=batch)


@contextmanager
def _commits_not_waited_for():
    """On PostgreSQL, outside a caller's transaction, the run's commits do not wait for their WAL to reach
    the disk (asynchronous commit).

    Everything an incremental run writes is derived from signals the ingest committed durably, and it
    takes their queued changes in the transaction that writes what they derive: a commit lost in a server
    crash loses both, so the changes are still queued and the next run derives the same history again (a
    lost run row is closed by the sweep of stalled runs). Waiting for three flushes (the run's row, its
    batch, its end) was most of a run of one customer on a busy server.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def _evaluate_changed(*, at: dt.datetime, batch: int) -> EvaluationRun:
    ruleset = published_ruleset()
    now = timezone.now()
    run = EvaluationRun.objects.create(kind=EvaluationRunKind.CHANGED, as_of=at, started_at=now, heartbeat_at=now)
    for_run = ForRun(run_id=run.pk, skip=partial(run_skip, run=run), count=partial(run_progress, run=run))
    # Outside any transaction of the caller's, what a second connection sees is what the run sees.
    reads_ahead = connection.vendor == "postgresql" and not connection.in_atomic_block
    reader = None
    try:
        while True:
            if one_writer():
                results, _ = bring_up_unlocked(
                    customers=customers_changed(at=at), at=at, ruleset=ruleset, run=for_run, batch=batch
                )
                if not results:
                    break
                continue
            with transaction.atomic():
                customers, stored = claim_changed(at=at, batch=batch)
                if not customers:
                    break
                if reads_ahead and reader is None and len(customers) > event_time.READ_AHEAD:
                    # A batch of one part reads in turn: the reader's thread would only add its start and end.
                    reader = SignalReader()
                _, transitions = bring_up_locked(
                    customers=customers, at=at, ruleset=ruleset, run=for_run, stored=stored, reader=reader
                )
                run_progress(run=run, customers=len(customers), transitions=transitions)
            if len(customers) < batch:
                # A short batch claimed every change there was but those another worker holds: a claim more
                # would find none (three round trips, most of a one-customer run's cost beside its work).
                # A change queued since is taken by the run its ingest queues after committing.
                break
    except Exception as exc:
        run_finish(run=run, outcome=RunOutcome.FAILED, error=repr(exc))
        raise
    finally:
        if reader is not None:
            reader.close()
    return run_finish(run=run, outcome=RunOutcome.SUCCEEDED)


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
    with transaction.atomic():
        run = evaluation_run_start(as_of=timezone.now(), started_by=user)
        transaction.on_commit(lambda: full_run_queued.send(sender=EvaluationRun, run_id=run.pk))
    return run


def _chunks(run: EvaluationRun) -> list[tuple[int, int, int]]:
    """(k, lo, hi) of each chunk of the run's id span, hi included."""
    size = max(1, math.ceil((run.last_id - run.first_id + 1) / max(run.chunks_total, 1)))
    return [(k, lo, min(lo + size - 1, run.last_id)) for k, lo in enumerate(range(run.first_id, run.last_id + 1, size))]


def _evaluate_chunk(*, run: EvaluationRun, k: int, lo: int, hi: int, ruleset: CompiledRuleSet) -> tuple[int, int, int]:
    """One chunk in one transaction, which also records it done: a resumed run skips exactly the chunks that
    committed. Returns (customers evaluated, transitions, facts computed again)."""
    with transaction.atomic():
        for_run = ForRun(run_id=run.pk, skip=partial(run_skip, run=run), count=partial(run_progress, run=run))
        customers, transitions, computed = stages_evaluate_range(
            lo=lo, hi=hi + 1, as_of=run.as_of, ruleset=ruleset, run=for_run
        )
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


def _evaluate_chunk_on_own_connection(**chunk) -> tuple[int, int, int]:
    try:
        return _evaluate_chunk(**chunk)
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
        return run_finish(run=run, outcome=RunOutcome.SUCCEEDED)
    todo = [dict(run=run, k=k, lo=lo, hi=hi, ruleset=ruleset) for k, lo, hi in _chunks(run) if k not in run.done_chunks]
    workers = min(_side_by_side(), len(todo))
    try:
        if workers <= 1:
            results = [_evaluate_chunk(**chunk) for chunk in todo]
        else:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="full-run") as pool:
                futures = [pool.submit(_evaluate_chunk_on_own_connection, **chunk) for chunk in todo]
                try:
                    results = [future.result() for future in futures]
                except BaseException:
                    # The chunks under way finish (and commit) before the run is marked failed.
                    pool.shutdown(cancel_futures=True)
                    raise
    except Exception as exc:
        run_finish(run=run, outcome=RunOutcome.FAILED, error=repr(exc))
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
    return run_finish(run=run, outcome=RunOutcome.SUCCEEDED)


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
