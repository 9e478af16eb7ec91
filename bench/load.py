"""bench load: the product under a day's mixed traffic (issue 18): signal batches (some sent twice on purpose),
decisions and 360° views, through the API and the console, against a real gunicorn, PostgreSQL and a Celery
worker on Redis, all on loopback; then the signals counted and the re-evaluation's catching up checked.

Goal: zero errors, zero signals lost or doubled, no customer left unevaluated once the worker drains. The
population is bench decisions' (50 principles published through the real services, histories of realistic
lengths generated in SQL) in a scratch database of the run's own, so the count of signals is exact. The
baseline, measured in the same run as bench ingest measures it, is the bare COPY of the same kind of signals
into a table shaped like theirs.

The signals are a live feed's: from the last ten minutes, 5% (--late) late by up to 30 days. A late signal
makes its customer's stage history replay from its day, in the worker or in the next request about that
customer; with every signal spread over a year (bench ingest's items as they are), each batch would replay
months of history for a hundred customers, which is a backfill, not a day's traffic.
"""

from __future__ import annotations

import os
import random
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from cxcore.models import Signal, Team, User
from cxcore.services import api_token_create

from .decisions_population import populate, publish_principles
from .ingest import bare_copy
from .ingest_rows import Generated, copy_rows, copy_text, generate
from .load_clients import MIX, Target, Traffic, log_in, send_traffic, warm_up
from .load_locks import LockWatch, dsn_of
from .registry import Benchmark, Report, percentile, register, require_postgresql
from .scratch import ScratchDatabase
from .server import Gunicorn
from .worker import CeleryWorker, backlog, wait_for_drain

PRINCIPLES = 50


@register
class Load(Benchmark):
    name = "load"
    help = (
        "Mixed load for --seconds: signal batches (some re-sent), decisions, 360° views (API and console page) "
        "against gunicorn + PostgreSQL + a Celery worker; then signals sent vs stored, and the worker drained."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seconds", type=int, default=300, help="duration of the load (default 300)")
        parser.add_argument("--clients", type=int, default=4, help="concurrent client threads (default 4)")
        parser.add_argument("--customers", type=int, default=2000, help="population (default 2,000)")
        parser.add_argument("--batch", type=int, default=100, help="signals per batch (default 100)")
        parser.add_argument("--resend", type=float, default=0.1, help="share of batches re-sent (default 0.1)")
        parser.add_argument(
            "--late", type=float, default=0.05, help="share of signals arriving up to 30 days late (default 0.05)"
        )
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("WEB_WORKERS", 2)), help="as bin/console (2)"
        )
        parser.add_argument("--drain-timeout", type=int, default=300, help="seconds the worker has to catch up")
        parser.add_argument("--baseline-rows", type=int, default=20_000, help="signals in the bare COPY")
        parser.add_argument("--redis-db", type=int, default=12, help="Redis database of the broker (default 12)")
        parser.add_argument("--worker-log", default=os.devnull, help="where the Celery worker writes its log")
        parser.add_argument("--keep-db", action="store_true", help="keep the scratch database")

    def run(self, *, options: dict[str, Any], report: Report) -> dict[str, Any]:
        require_postgresql(self.name)
        if options["seconds"] < 1 or options["clients"] < 1 or options["customers"] < 1:
            raise CommandError("--seconds, --clients and --customers must be positive.")
        if not 1 <= options["batch"] <= 1000 or not 0 <= options["resend"] <= 1 or not 0 <= options["late"] <= 1:
            raise CommandError("--batch must be between 1 and 1000, --resend and --late between 0 and 1.")
        with ScratchDatabase(keep=options["keep_db"], purpose="load") as scratch:
            report.line(f"scratch database {scratch.name}")
            # Measured with DEBUG off, as served: DEBUG keeps every query in memory.
            debug, settings.DEBUG = settings.DEBUG, False
            try:
                return _run(options, report)
            finally:
                settings.DEBUG = debug
                connection.close()


def _run(options: dict[str, Any], report: Report) -> dict[str, Any]:
    rng = random.Random(18)
    principles = publish_principles(total=PRINCIPLES, rng=rng)
    external_ids, signals = populate(customers=options["customers"], now=timezone.now())
    tag = f"bench-load-{secrets.token_hex(4)}"
    _, key = api_token_create(name=tag, scopes=["ingest", "decide", "read"])
    report.line(
        f"population: {principles} published principles, {len(external_ids):,} customers, {signals:,} signals; "
        f"{options['clients']} clients for {options['seconds']} s, gunicorn with {options['workers']} workers, "
        f"a Celery worker (solo pool, Redis db {options['redis_db']}); batches of {options['batch']} signals, "
        f"{options['resend']:.0%} re-sent, {options['late']:.0%} of signals late by up to 30 days"
    )
    with (
        CeleryWorker(
            settings_module="bench.ingest_settings", redis_db=options["redis_db"], log=options["worker_log"]
        ) as worker,
        Gunicorn(workers=options["workers"]) as server,
    ):
        username, password = _console_manager()
        target = Target(
            port=server.port,
            key=key,
            session_cookie=log_in(port=server.port, username=username, password=password),
            external_ids=external_ids,
            batch=options["batch"],
            resend=options["resend"],
            late=options["late"],
            tag=tag,
        )
        warm = warm_up(target=target)
        if any(warm.errors.values()):
            raise CommandError(f"warm-up failed: {dict(warm.errors)}")
        processes = {"web": [server.process.pid], "worker": [worker.process.pid]}
        with LockWatch(dsn=dsn_of(connection.settings_dict), processes=processes) as locks:
            traffic = send_traffic(target=target, clients=options["clients"], seconds=options["seconds"])
        changed_at_end = backlog()
        drain_s, left = wait_for_drain(timeout=options["drain_timeout"])
    counted = _signals_counted(tag, warm.acknowledged_keys | traffic.acknowledged_keys)
    copy_rate = _copy_rate(external_ids, tag, options["baseline_rows"])
    return _report(
        report,
        options,
        traffic,
        counted,
        copy_rate=copy_rate,
        changed_at_end=changed_at_end,
        drain_s=drain_s,
        left=left,
        locks=locks.summary(),
    )


def _console_manager() -> tuple[str, str]:
    """A CX manager (who may read every customer's 360° page): username and password."""
    password = secrets.token_urlsafe(16)
    user = User.objects.create_user(username="bench-load-manager", password=password, team=Team.objects.get(key="cx"))
    user.groups.add(Group.objects.get(name="cx_manager"))
    return user.username, password


def _signals_counted(tag: str, acknowledged: set[str]) -> dict[str, int]:
    """Signals acknowledged (distinct keys of the batches answered 201) against those stored under the token."""
    rows = list(Signal.objects.filter(source=tag).values_list("idempotency_key", flat=True))
    stored = set(rows)
    return {
        "sent": len(acknowledged),
        "stored": len(rows),
        "lost": len(acknowledged - stored),
        "doubled": len(rows) - len(stored),
        # Stored though no answer said so (a request that failed after its commit): not lost, reported.
        "unacknowledged": len(stored - acknowledged),
    }


def _copy_rate(external_ids: list[str], tag: str, n: int) -> float:
    """Rows/s of a bare COPY of signals like the clients' (bench ingest's baseline), after the load."""
    items = generate(n=n, tag=tag, run=1, seed=1).items
    rng = random.Random(1)
    for i, item in enumerate(items):
        item["customer"] = rng.choice(external_ids)
        item["idempotency_key"] = f"{tag}-copy-{i}"
    rows = copy_rows(Generated(items=items, customers=sorted({item["customer"] for item in items})), source=tag)
    return n / bare_copy(rows, rendered=copy_text(rows))


def _report(
    report: Report,
    options: dict[str, Any],
    traffic: Traffic,
    counted: dict[str, int],
    *,
    copy_rate: float,
    changed_at_end: int,
    drain_s: float,
    left: int,
    locks: dict[str, Any],
) -> dict[str, Any]:
    kinds = list(MIX)
    seconds = traffic.seconds
    errors = {kind: dict(traffic.errors[kind]) for kind in kinds}
    rows = []
    for kind in kinds:
        timings = traffic.timings[kind]
        rows.append(
            (
                kind,
                len(timings),
                len(timings) / seconds,
                percentile(timings, 0.5) * 1000,
                percentile(timings, 0.99) * 1000,
                ", ".join(f"{status}: {n}" for status, n in sorted(errors[kind].items())) or "0",
            )
        )
    total = sum(len(traffic.timings[kind]) for kind in kinds)
    rows.append(("all", total, total / seconds, "", "", sum(sum(e.values()) for e in errors.values())))
    report.line()
    report.table(["kind", "requests", "req/s", "p50 ms", "p99 ms", "errors by status"], rows)
    api_rate = counted["sent"] / seconds
    report.line()
    report.line(
        f"signals: {counted['sent']:,} acknowledged (distinct keys), {counted['stored']:,} stored; "
        f"lost {counted['lost']}, doubled {counted['doubled']}, stored unacknowledged {counted['unacknowledged']}; "
        f"{traffic.resent:,} batches re-sent on purpose, {traffic.resent_accepted} of their signals taken as new"
    )
    report.line(
        f"re-evaluation: {changed_at_end:,} customers changed when the load stopped; the worker drained them in "
        f"{drain_s:.1f} s, {left:,} left after (timeout {options['drain_timeout']} s)"
    )
    report.line(
        f"ingest under the mix: {api_rate:,.0f} signals/s; baseline bare COPY of such signals: {copy_rate:,.0f} rows/s"
    )
    report.line(_locks_line(locks))
    error_total = sum(sum(e.values()) for e in errors.values())
    ok = not error_total and not counted["lost"] and not counted["doubled"] and not left
    ok = ok and not traffic.resent_accepted
    report.line(f"goal (no errors, none lost or doubled, worker caught up): {'met' if ok else 'MISSED'}")
    return {
        "seconds": round(seconds, 1),
        "clients": options["clients"],
        "customers": options["customers"],
        "workers": options["workers"],
        "late": options["late"],
        "requests": {kind: len(traffic.timings[kind]) for kind in kinds},
        "rps": {kind: round(len(traffic.timings[kind]) / seconds, 1) for kind in kinds},
        "p50_ms": {kind: round(percentile(traffic.timings[kind], 0.5) * 1000, 1) for kind in kinds},
        "p99_ms": {kind: round(percentile(traffic.timings[kind], 0.99) * 1000, 1) for kind in kinds},
        "errors": errors,
        "errors_total": error_total,
        "signals_sent": counted["sent"],
        "signals_stored": counted["stored"],
        "lost": counted["lost"],
        "doubled": counted["doubled"],
        "unacknowledged": counted["unacknowledged"],
        "resent_batches": traffic.resent,
        "resent_taken_as_new": traffic.resent_accepted,
        "changed_at_end": changed_at_end,
        "drain_s": round(drain_s, 1),
        "left_changed": left,
        "api_signals_per_s": round(api_rate),
        "baseline_copy_rows_per_s": round(copy_rate),
        "copy_over_api": round(copy_rate / api_rate, 1) if api_rate else None,
        **{key: locks[key] for key in ("lock_waits", "lock_wait_max_s", "lock_waits_by_statement")},
        "ok": ok,
    }


def _locks_line(locks: dict[str, Any]) -> str:
    """What the slowest requests waited for, if a lock: the statement, and whose transaction held it."""
    longest = locks["lock_wait_longest"]
    if longest is None:
        return "lock waits: none seen (sampled every 0.2 s)"
    return (
        f"lock waits: {locks['lock_waits']} statements waited for a lock, the longest {longest['seconds']:.1f} s: "
        f"{longest['waiter']} `{longest['statement'][:90]}` behind the {longest['holder']}'s transaction, open "
        f"{longest['holder_transaction_s']:.1f} s ({longest['holder_last_statement'][:90]})"
    )
