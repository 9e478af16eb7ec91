"""bench ingest: signals through the real batch API (gunicorn) against a bare COPY of the same rows.

Quality bar (DESIGN.md section 12): the API ingests at least 1/5 of the COPY rate, i.e. ratio <= 5.

As in production, a real Celery worker (on Redis, a queue of this run's own) runs during the
measurement: each batch's commit queues the re-evaluation of its customers, which the worker
carries out while the next batches arrive, competing for the same cores and database. The items
carry payloads of realistic size (about 300 bytes of JSON per signal, as an integration sends them).
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import secrets
import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.core.management.base import CommandError
from django.db import connection, transaction

from cxcore.ingest_storage import INGEST_COLUMNS
from cxcore.models import ApiToken, Customer, CustomerChange, Signal
from cxcore.services import api_token_create

from .foreign_keys import ForeignKeysChecked, add_foreign_keys_argument
from .ingest_rows import copy_rows, copy_text, generate
from .registry import Benchmark, Report, median, percentile, register, require_postgresql
from .server import Gunicorn
from .worker import CeleryWorker, backlog, drained

TARGET_RATIO = 5.0
SCRATCH_TABLE = "bench_ingest_copy"


@dataclass
class PostResult:
    seconds: float
    accepted: int = 0
    duplicates: int = 0
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def post_batches(*, port: int, key: str, bodies: list[bytes], clients: int) -> PostResult:
    """POST every body to /api/v1/signals from `clients` threads; wall time from first to last answer."""
    work: queue.Queue[bytes] = queue.Queue()
    for body in bodies:
        work.put(body)
    lock = threading.Lock()
    result = PostResult(seconds=0.0)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            while True:
                try:
                    body = work.get_nowait()
                except queue.Empty:
                    return
                started = time.perf_counter()
                conn.request("POST", "/api/v1/signals", body=body, headers=headers)
                response = conn.getresponse()
                answer = response.read()
                elapsed = time.perf_counter() - started
                with lock:
                    result.latencies.append(elapsed)
                    if response.status == 201:
                        counts = json.loads(answer)
                        result.accepted += counts["accepted"]
                        result.duplicates += counts["duplicates"]
                    else:
                        result.failures.append(f"{response.status} {answer[:300]!r}")
        finally:
            conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    return result


def bare_copy(rows: list[tuple], *, rendered: bytes | None = None) -> float:
    """Seconds to COPY the rows into a fresh table shaped like the signals, with only the
    (customer, occurred_at) index: from pre-rendered text when given (the server's speed, the
    baseline of DESIGN.md), else row by row through psycopg's write_row (a Python client's speed)."""
    columns = ", ".join(INGEST_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SCRATCH_TABLE}")
        cursor.execute(
            f"CREATE TABLE {SCRATCH_TABLE} (LIKE {Signal._meta.db_table} INCLUDING DEFAULTS INCLUDING IDENTITY)"
        )
        cursor.execute(f"CREATE INDEX {SCRATCH_TABLE}_customer_time ON {SCRATCH_TABLE} (customer_id, occurred_at)")
    started = time.perf_counter()
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        cursor.copy(f"COPY {SCRATCH_TABLE} ({columns}) FROM STDIN") as copy,
    ):
        if rendered is not None:
            for start in range(0, len(rendered), 1 << 20):
                copy.write(rendered[start : start + (1 << 20)])
        else:
            for row in rows:
                copy.write_row(row)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {SCRATCH_TABLE}")
    return seconds


@register
class IngestBenchmark(Benchmark):
    name = "ingest"
    help = "Signals through POST /api/v1/signals (real gunicorn) beside a bare COPY of the same rows."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--signals", type=int, default=50_000, help="Signals per run (default 50,000).")
        parser.add_argument("--runs", type=int, default=3, help="Runs; the medians are reported (default 3).")
        parser.add_argument("--batch", type=int, default=1000, help="Signals per request (default 1000).")
        parser.add_argument("--clients", type=int, default=4, help="Concurrent client threads (default 4).")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2).")
        parser.add_argument("--worker-log", default=os.devnull, help="where the Celery worker writes its log")
        add_foreign_keys_argument(parser, compare=True)

    def run(self, *, options: dict[str, Any], report: Report) -> dict[str, Any]:
        require_postgresql(self.name)
        n, runs, batch = options["signals"], options["runs"], options["batch"]
        if n < 1 or runs < 1 or not 1 <= batch <= 1000:
            raise CommandError("--signals and --runs must be positive and --batch between 1 and 1000.")
        # The token's name is the signals' source: everything this run stores is found by it.
        tag = f"bench-ingest-{secrets.token_hex(4)}"
        token, key = api_token_create(name=tag, scopes=["ingest"])
        sample = generate(n=200, tag=tag, run=0, seed=9).items
        payload_bytes = statistics.mean(len(json.dumps(item)) for item in sample)
        payload_only = statistics.mean(len(json.dumps(item["payload"])) for item in sample)
        report.line(
            f"bench ingest: {n:,} signals for ~{max(1, n // 10):,} customers per run, {runs} run(s), batches of "
            f"{batch}, {options['clients']} client threads, gunicorn with {options['workers']} workers"
        )
        if not Customer.objects.exists():
            # Each server connection plans the foreign key's check once, and on an empty table that
            # plan is a sequential scan, kept while the table grows: 5x slower than on real data.
            report.line(
                "warning: no customers stored; the foreign key check is planned on an empty table. "
                "Measure on real data, e.g. after `python manage.py load_demo`."
            )
        spec = options["foreign_keys"]
        modes = ["schema", spec.partition(":")[2] or "checked"] if spec.startswith("compare") else [spec]
        rows, worker_rows = [], []
        try:
            with (
                CeleryWorker(settings_module="bench.ingest_settings", log=options["worker_log"]) as worker,
                Gunicorn(workers=options["workers"]) as server,
            ):
                self._warm_up(server.port, key, tag, options["clients"] * 2)
                drained(timeout=120)
                for run in range(1, runs + 1):
                    # With compare, each run twice in a row, without and with the keys checked: the same
                    # moment's load on the machine for both.
                    for n_mode, mode in enumerate(modes):
                        with ForeignKeysChecked(mode) as keys:
                            if run == 1:
                                report.line(f"keys {mode}: {keys.describe()}")
                            row, worker_row = self._one_run(
                                options, server, worker, key, tag, run=run * len(modes) + n_mode, mode=mode
                            )
                        rows.append(row)
                        worker_rows.append(worker_row)
        finally:
            deleted = self._clean_up(tag, token)
        by_mode = {
            mode: {
                "api": median(row[3] for row in rows if row[1] == mode),
                "copy": median(row[7] for row in rows if row[1] == mode),
                "write_row": median(row[8] for row in rows if row[1] == mode),
            }
            for mode in modes
        }
        api_rate = median(row[3] for row in rows if row[1] == modes[0])
        copy_rate = median(row[7] for row in rows)
        write_row_rate = median(row[8] for row in rows)
        ratio = copy_rate / api_rate
        report.line()
        headers = ["run", "keys", "api s", "api signals/s", "p50 ms", "p99 ms", "copy s", "copy rows/s"]
        headers += ["write_row/s", "copy/api"]
        medians = [
            ("median", mode, "", figures["api"], "", "", "", figures["copy"], figures["write_row"], "")
            for mode, figures in by_mode.items()
        ]
        report.table(headers, [*rows, *medians])
        report.line()
        report.table(
            ["run", "keys", "worker cpu s", "of the api's wall time", "customers queued at the end", "drained s"],
            worker_rows,
        )
        if len(modes) == 2:
            cost = by_mode["schema"]["api"] / by_mode[modes[1]]["api"] - 1
            report.line(f"the foreign keys {modes[1]} cost the API {cost:.1%} of its rate (medians of {runs} pairs)")
        report.line(
            f"signals of ~{payload_bytes:.0f} bytes of JSON each (payload ~{payload_only:.0f}); a Celery worker"
            " (solo pool, Redis) re-evaluated the changed customers during each run; the COPY baselines ran after it"
            " drained"
        )
        report.line(
            "copy: COPY of the same rows, pre-rendered, into a table with only the (customer, occurred_at) index "
            "(the baseline); write_row: the same COPY fed row by row from Python."
        )
        report.line()
        verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
        report.line(f"API at 1/{ratio:.2f} of the COPY rate: {verdict} the bar of 1/{TARGET_RATIO:g}.")
        report.line(f"cleaned up: {deleted:,} signals and their customers, the token and the scratch table")
        return {
            "api_signals_per_s": round(api_rate),
            "copy_rows_per_s": round(copy_rate),
            "copy_write_row_per_s": round(write_row_rate),
            "ratio": round(ratio, 2),
            "runs": runs,
            "signals": n,
            "batch": batch,
            "clients": options["clients"],
            "workers": options["workers"],
            "target_ratio": TARGET_RATIO,
            "signal_json_bytes": round(payload_bytes),
            "foreign_keys": options["foreign_keys"],
            "api_signals_per_s_by_keys": {mode: round(figures["api"]) for mode, figures in by_mode.items()},
            "celery_worker": True,
            "worker_cpu_share": round(
                statistics.median(float(row[2]) for row in worker_rows) / statistics.median(row[2] for row in rows),
                2,
            ),
            "ok": ratio <= TARGET_RATIO,
        }

    def _one_run(self, options, server, worker, key: str, tag: str, *, run: int, mode: str) -> tuple[tuple, tuple]:
        """POSTs one run's signals while the worker re-evaluates, waits for it to drain, then COPYs the same rows."""
        n, batch = options["signals"], options["batch"]
        generated = generate(n=n, tag=tag, run=run, seed=run)
        bodies = [json.dumps({"signals": generated.items[i : i + batch]}).encode() for i in range(0, n, batch)]
        cpu_before = worker.cpu_seconds()
        posted = post_batches(port=server.port, key=key, bodies=bodies, clients=options["clients"])
        worker_cpu = worker.cpu_seconds() - cpu_before
        queued = backlog()
        drain_s = drained(timeout=600)
        if posted.failures or posted.accepted != n:
            raise CommandError(
                f"run {run}: {posted.accepted:,} of {n:,} accepted, {posted.duplicates} duplicates, "
                f"failures: {posted.failures[:3]}"
            )
        table = copy_rows(generated, source=tag)
        copy_seconds = bare_copy(table, rendered=copy_text(table))
        write_row_seconds = bare_copy(table)
        api_rate, copy_rate = n / posted.seconds, n / copy_seconds
        row = (
            run,
            mode,
            posted.seconds,
            api_rate,
            percentile(posted.latencies, 0.5) * 1000,
            percentile(posted.latencies, 0.99) * 1000,
            copy_seconds,
            copy_rate,
            n / write_row_seconds,
            copy_rate / api_rate,
        )
        worker_row = (run, mode, f"{worker_cpu:.1f}", f"{worker_cpu / posted.seconds:.0%}", queued, f"{drain_s:.1f}")
        return row, worker_row

    def _warm_up(self, port: int, key: str, tag: str, requests: int) -> None:
        """A few small batches, so that each worker has loaded the code and opened its connection."""
        warm = generate(n=20 * requests, tag=tag, run=0, seed=0)
        bodies = [json.dumps({"signals": warm.items[i : i + 20]}).encode() for i in range(0, len(warm.items), 20)]
        posted = post_batches(port=port, key=key, bodies=bodies, clients=2)
        if posted.failures:
            raise CommandError(f"warm-up failed: {posted.failures[:3]}")

    def _clean_up(self, tag: str, token: ApiToken) -> int:
        deleted, _ = Signal.objects.filter(source=tag).delete()
        Customer.objects.filter(external_id__startswith=f"{tag}-").delete()
        token.delete()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {SCRATCH_TABLE}")
            # The deleted rows stay behind as dead tuples until a vacuum (and autovacuum may be off):
            # the next run would look them up in every index and measure this run's garbage.
            tables = ", ".join(model._meta.db_table for model in (Signal, Customer, CustomerChange))
            cursor.execute(f"VACUUM ANALYZE {tables}")
        return deleted
