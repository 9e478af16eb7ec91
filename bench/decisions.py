"""bench decisions: the decision engine, one whole decision in-process, and the decision API under load.

Quality bars (DESIGN.md section 12): the 50 published principles evaluated in under 50 µs; a
whole decision in-process (facts read, stage brought up to date, log written) under 1 ms; the
decision API at least 1/3 of a bare DRF view's requests/s with a p99 under 3x the bare view's.

Everything runs in a scratch PostgreSQL database created for the run (on the server DATABASE_URL
names) and dropped afterwards: 50 principles are published there through the real lifecycle
services, beside a population of customers whose signals go through the real ingest service.
The API is a real gunicorn (config.wsgi, as many sync workers as bin/console starts) driven by
wrk on loopback; the baseline is a bare APIView with the same authentication and permission,
mounted only by the URLconf of bench.decisions_settings, measured in the same run.
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import time
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from cxcore.services import api_token_create
from membrane.models.decisions import DecisionLog

from .decisions_measure import measure_decision_make, measure_engine
from .decisions_population import populate, publish_principles
from .decisions_urls import BARE_PATH
from .decisions_wrk import run_wrk, run_wrk_measuring_cpu
from .registry import Benchmark, Report, register, require_postgresql
from .server import Gunicorn

TARGET_ENGINE_US = 50.0
TARGET_DECISION_MS = 1.0
TARGET_RPS_RATIO = 3.0  # the API at least 1/3 of the bare view's requests/s
TARGET_P99_RATIO = 3.0
PRINCIPLES = 50
API_PATH = "/api/v1/decisions"


class ScratchDatabase:
    """A fresh database on the same server, migrated; this process and gunicorn use it, then it is dropped."""

    def __init__(self, *, keep: bool):
        self.keep = keep
        # Named after the database DATABASE_URL names, so a run stays within that database's prefix.
        self.name = f"{connection.settings_dict['NAME']}_decisions_{os.getpid()}"
        self.old_name = ""
        self.saved_env: dict[str, str | None] = {}

    def __enter__(self) -> ScratchDatabase:
        connection.settings_dict.setdefault("TEST", {})["NAME"] = self.name
        self.old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        db = connection.settings_dict
        host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{host}/{self.name}"
        for key, value in (("DATABASE_URL", url), ("DJANGO_SETTINGS_MODULE", "bench.decisions_settings")):
            self.saved_env[key] = os.environ.get(key)
            os.environ[key] = value
        return self

    def __exit__(self, *exc_info) -> None:
        for key, value in self.saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if self.keep:
            return
        connection.creation.destroy_test_db(self.old_name, verbosity=0)


@register
class Decisions(Benchmark):
    name = "decisions"
    help = "The 50 principles alone, decision_make in-process, POST /api/v1/decisions under wrk beside a bare view."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--customers", type=int, default=2000)
        parser.add_argument("--signals-per-customer", type=int, default=20)
        parser.add_argument("--engine-samples", type=int, default=20_000)
        parser.add_argument("--decisions", type=int, default=2000, help="in-process decisions to time")
        parser.add_argument("--seconds", type=int, default=10, help="wrk duration per round and endpoint")
        parser.add_argument("--rounds", type=int, default=2, help="bare, api alternations; medians reported")
        parser.add_argument("--connections", type=int, default=8)
        parser.add_argument("--threads", type=int, default=2, help="wrk threads")
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("WEB_WORKERS", 2)), help="as bin/console (2)"
        )
        parser.add_argument(
            "--worker-threads",
            type=int,
            default=1,
            help="threads per worker (above 1, gunicorn's gthread worker), for both endpoints alike",
        )
        parser.add_argument("--keep-db", action="store_true", help="keep the scratch database")

    def run(self, *, options: dict[str, Any], report: Report) -> dict[str, Any]:
        require_postgresql(self.name)
        if shutil.which("wrk") is None:
            raise CommandError("bench decisions needs wrk on the PATH (apt-get install wrk).")
        rng = random.Random(5)
        with ScratchDatabase(keep=options["keep_db"]) as scratch:
            report.line(f"scratch database {scratch.name}")
            # Measured with DEBUG off, as served: DEBUG keeps every query in memory.
            debug, settings.DEBUG = settings.DEBUG, False
            try:
                return self._run(options, report, rng)
            finally:
                settings.DEBUG = debug
                connection.close()

    def _run(self, options: dict[str, Any], report: Report, rng: random.Random) -> dict[str, Any]:
        started = time.perf_counter()
        principles = publish_principles(total=PRINCIPLES, rng=rng)
        now = timezone.now()
        external_ids, signals = populate(
            customers=options["customers"], per_customer=options["signals_per_customer"], now=now, rng=rng
        )
        report.line(
            f"set up in {time.perf_counter() - started:.1f} s: {principles} published principles, "
            f"{len(external_ids):,} customers, {signals:,} signals"
        )
        engine = measure_engine(external_ids=external_ids, samples=options["engine_samples"], rng=rng)
        whole = measure_decision_make(external_ids=external_ids, samples=options["decisions"], rng=rng)
        _, key = api_token_create(name="bench-decisions", scopes=["decide"])
        rounds = []
        with Gunicorn(workers=options["workers"], threads=options["worker_threads"]) as server:
            wrk = {
                "port": server.port,
                "key": key,
                "external_ids": external_ids,
                "threads": options["threads"],
                "connections": options["connections"],
            }
            run_wrk(path_=BARE_PATH, seconds=2, seed=0, **wrk)  # warm both endpoints in every worker
            self._warm_requests = run_wrk(path_=API_PATH, seconds=2, seed=0, **wrk)["requests"]
            for n in range(1, options["rounds"] + 1):
                bare = run_wrk_measuring_cpu(server=server, path_=BARE_PATH, seconds=options["seconds"], seed=n, **wrk)
                api = run_wrk_measuring_cpu(server=server, path_=API_PATH, seconds=options["seconds"], seed=n, **wrk)
                rounds.append((bare, api))
        # Every answer is in the log: the in-process decisions (with their warm-up) and every API request.
        answered = options["decisions"] + 70 + sum(a["requests"] for _, a in rounds) + self._warm_requests
        logged = DecisionLog.objects.count()
        if logged < answered:
            raise CommandError(f"{answered:,} decisions answered but only {logged:,} in the log")
        bare_rps = statistics.median(b["rps"] for b, _ in rounds)
        api_rps = statistics.median(a["rps"] for _, a in rounds)
        bare_p50 = statistics.median(b["p50_ms"] for b, _ in rounds)
        api_p50 = statistics.median(a["p50_ms"] for _, a in rounds)
        bare_p99 = statistics.median(b["p99_ms"] for b, _ in rounds)
        api_p99 = statistics.median(a["p99_ms"] for _, a in rounds)
        rps_ratio = bare_rps / api_rps
        bare_cpu = statistics.median(b["cpu_us"] for b, _ in rounds)
        api_cpu = statistics.median(a["cpu_us"] for _, a in rounds)
        p99_ratio = api_p99 / bare_p99

        report.line()
        report.line(
            f"(1) engine: {engine['principles']} published principles, {engine['matched_per_decision']:.1f} matched "
            f"per decision on average, {options['engine_samples']:,} decisions"
        )
        report.line(
            f"(2) decision_make: {options['decisions']:,} decisions at now, {whole['queries']:.1f} queries each"
        )
        report.line(
            f"(3) wrk -t{options['threads']} -c{options['connections']} {options['seconds']} s per endpoint and "
            f"round, gunicorn config.wsgi with {options['workers']} workers of {options['worker_threads']} "
            "thread(s), loopback"
        )
        for sql in whole["examples"]:
            report.line(f"    {sql}")
        report.line()
        rows = [
            (
                "engine: 50 principles",
                f"{engine['median_us']:.1f} µs",
                f"{engine['p99_us']:.1f} µs",
                "< 50 µs",
                _ok(engine["median_us"] < TARGET_ENGINE_US),
            ),
            ("baseline: SELECT 1 round trip", f"{whole['round_trip_ms']:.3f} ms", "", "", ""),
            ("baseline: ORM read of a customer", f"{whole['orm_read_ms']:.3f} ms", "", "", ""),
            ("baseline: durable INSERT (commit)", f"{whole['commit_ms']:.3f} ms", "", "", ""),
            (
                "decision_make in-process",
                f"{whole['median_ms']:.3f} ms",
                f"{whole['p99_ms']:.3f} ms",
                "< 1 ms",
                _ok(whole["median_ms"] < TARGET_DECISION_MS),
            ),
        ]
        for n, (bare, api) in enumerate(rounds, 1):
            rows.append(
                (
                    f"round {n} bare view",
                    f"{bare['rps']:,.0f} req/s",
                    f"p50 {bare['p50_ms']:.2f} / p99 {bare['p99_ms']:.2f} ms",
                    "",
                    "",
                )
            )
            rows.append(
                (
                    f"round {n} POST /decisions",
                    f"{api['rps']:,.0f} req/s",
                    f"p50 {api['p50_ms']:.2f} / p99 {api['p99_ms']:.2f} ms",
                    "",
                    "",
                )
            )
        rows.append(("CPU per request, bare view", f"{bare_cpu:,.0f} µs", "", "", ""))
        rows.append(("CPU per request, POST /decisions", f"{api_cpu:,.0f} µs", "", "", ""))
        rows.append(("CPU per request: api / bare", f"{api_cpu / bare_cpu:.2f}", "", "", ""))
        rows.append(("API req/s: bare / api", f"{rps_ratio:.2f}", "", "<= 3", _ok(rps_ratio <= TARGET_RPS_RATIO)))
        rows.append(("API p99: api / bare", f"{p99_ratio:.2f}", "", "< 3", _ok(p99_ratio < TARGET_P99_RATIO)))
        report.table(["measure", "median", "p99", "goal", ""], rows)
        report.line()
        return {
            "principles": engine["principles"],
            "engine_median_us": round(engine["median_us"], 2),
            "decision_make_median_ms": round(whole["median_ms"], 3),
            "decision_make_p99_ms": round(whole["p99_ms"], 3),
            "decision_make_queries": whole["queries"],
            "round_trip_ms": round(whole["round_trip_ms"], 3),
            "orm_read_ms": round(whole["orm_read_ms"], 3),
            "commit_ms": round(whole["commit_ms"], 3),
            "bare_rps": round(bare_rps),
            "api_rps": round(api_rps),
            "bare_p50_ms": round(bare_p50, 2),
            "api_p50_ms": round(api_p50, 2),
            "bare_p99_ms": round(bare_p99, 2),
            "api_p99_ms": round(api_p99, 2),
            "rps_ratio": round(rps_ratio, 2),
            "bare_cpu_us": round(bare_cpu),
            "api_cpu_us": round(api_cpu),
            "p99_ratio": round(p99_ratio, 2),
            "ok_engine": engine["median_us"] < TARGET_ENGINE_US,
            "ok_decision_make": whole["median_ms"] < TARGET_DECISION_MS,
            "ok_api": rps_ratio <= TARGET_RPS_RATIO and p99_ratio < TARGET_P99_RATIO,
        }


def _ok(passed: bool) -> str:
    return "meets" if passed else "MISSES"
