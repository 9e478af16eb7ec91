"""bench decisions: the decision engine, one whole decision in-process, and the decision API under load.

Quality bars (DESIGN.md section 12, issue 15): the 50 published principles evaluated in under 50 µs;
a whole decision in-process (facts read, stage brought up to date, log written) under 1 ms at the
median for a realistic population; the decision API at least 1/3 of a bare DRF view's requests/s
with a p99 under 3x the bare view's; a decision about a customer with 10,000 signals within 1.5x of
one about a customer with 20, in-process and through the API, also right after a new signal.

Everything runs in a scratch PostgreSQL database created for the run (on the server DATABASE_URL
names) and dropped afterwards: 50 principles are published there through the real lifecycle
services, beside a population generated in SQL whose history lengths spread as real ones do (most
short, a long tail up to 10,000 signals), with three customers of 20, 1,000 and 10,000 signals whose
decisions are printed side by side. Customers are timed settled (their stage evaluated by the last
run) and fresh (a signal ingested for them just before, so the decision brings the stage up to
date first). Then every principle's scope is emptied (new versions, published) for the worst case:
all 50 in scope of every decision. The API is a real gunicorn (config.wsgi, as many sync workers
as bin/console starts) driven by wrk on loopback; the baselines are a bare APIView with no database
and no authentication (DESIGN.md's), and the same with the decision API's token authentication,
mounted only by the URLconf of bench.decisions_settings, measured in the same run, round by round.
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from cxcore.services import api_token_create
from membrane.models.decisions import DecisionLog
from membrane.runs.services import stages_evaluate_changed

from .decisions_measure import FreshSignals, decisions_timed, measure_decision_make, measure_engine, summary
from .decisions_population import BY_HISTORY, history_lengths, populate, principles_all_in_scope, publish_principles
from .decisions_report import API_PATH, KEYS_CHECKED, decisions_report
from .decisions_urls import BARE_AUTHENTICATED_PATH, BARE_PATH
from .decisions_wrk import api_decisions_timed, run_wrk, run_wrk_measuring_cpu
from .foreign_keys import ForeignKeysChecked, add_foreign_keys_argument
from .registry import Benchmark, Report, register, require_postgresql
from .scratch import ScratchDatabase
from .server import Gunicorn

PRINCIPLES = 50
# The keys a decision writes (its log row's); --foreign-keys compare checks them in alternate blocks.
DECISION_KEYS = "membrane_decisionlog.customer_id,membrane_decisionlog.principle_id"


@register
class Decisions(Benchmark):
    name = "decisions"
    help = (
        "The 50 principles alone, decision_make in-process (settled and fresh customers, 20 to 10,000 signals),"
        " POST /api/v1/decisions under wrk beside bare views; then all 50 principles in scope."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--customers", type=int, default=10_000, help="besides the three of 20/1,000/10,000")
        parser.add_argument("--engine-samples", type=int, default=20_000)
        parser.add_argument("--decisions", type=int, default=2000, help="in-process decisions to time")
        parser.add_argument("--fresh", type=int, default=300, help="in-process decisions right after a new signal")
        parser.add_argument(
            "--history-samples", type=int, default=60, help="decisions per customer of 20/1,000/10,000 and way"
        )
        parser.add_argument("--seconds", type=int, default=10, help="wrk duration per round and endpoint")
        parser.add_argument("--rounds", type=int, default=3, help="bare, authenticated bare, api; medians reported")
        parser.add_argument("--connections", type=int, default=8)
        parser.add_argument("--threads", type=int, default=2, help="wrk threads")
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("WEB_WORKERS", 2)), help="as bin/console (2)"
        )
        parser.add_argument(
            "--worker-threads",
            type=int,
            default=1,
            help="threads per worker (above 1, gunicorn's gthread worker), for every endpoint alike",
        )
        parser.add_argument("--keep-db", action="store_true", help="keep the scratch database")
        add_foreign_keys_argument(parser, compare=True)

    def run(self, *, options: dict[str, Any], report: Report) -> dict[str, Any]:
        require_postgresql(self.name)
        if shutil.which("wrk") is None:
            raise CommandError("bench decisions needs wrk on the PATH (apt-get install wrk).")
        if options["rounds"] < 1 or options["customers"] < 1:
            raise CommandError("--rounds and --customers must be positive.")
        rng = random.Random(5)
        with ScratchDatabase(
            keep=options["keep_db"], purpose="decisions", settings_module="bench.decisions_settings"
        ) as scratch:
            report.line(f"scratch database {scratch.name}")
            # Measured with DEBUG off, as served: DEBUG keeps every query in memory.
            debug, settings.DEBUG = settings.DEBUG, False
            try:
                spec = "schema" if options["foreign_keys"] == "compare" else options["foreign_keys"]
                with ForeignKeysChecked(spec) as keys:
                    report.line(keys.describe())
                    return {**_Run(options, report, rng).run(), "foreign_keys": options["foreign_keys"]}
            finally:
                settings.DEBUG = debug
                connection.close()


class _Run:
    """One run of bench decisions: its world, its measurements and their report."""

    def __init__(self, options: dict[str, Any], report: Report, rng: random.Random):
        self.options, self.report, self.rng = options, report, rng
        self.answered = 0  # every decision asked, in-process or through the API: each must be in the log
        self.fresh = FreshSignals()

    def run(self) -> dict[str, Any]:
        options, report = self.options, self.report
        started = time.perf_counter()
        principles = publish_principles(total=PRINCIPLES, rng=self.rng)
        external_ids, signals = populate(customers=options["customers"], now=timezone.now())
        spread = history_lengths()
        report.line(
            f"set up in {time.perf_counter() - started:.1f} s: {principles} published principles, "
            f"{len(external_ids) + len(BY_HISTORY):,} customers, {signals:,} signals; signals per customer: median "
            f"{spread['p50']}, p90 {spread['p90']}, p99 {spread['p99']}, max {spread['max']:,}, "
            f"{spread['customers_1000_plus']} customers with 1,000 or more"
        )
        self.external_ids = external_ids
        _, self.key = api_token_create(name="bench-decisions", scopes=["decide"])
        scoped = self._in_process(label="scoped")
        with Gunicorn(workers=options["workers"], threads=options["worker_threads"]) as server:
            self.server = server
            self._wrk(BARE_PATH, seconds=2, seed=0)  # every worker warm on every endpoint
            self._wrk(BARE_AUTHENTICATED_PATH, seconds=2, seed=0)
            self._wrk(API_PATH, seconds=2, seed=0)
            scoped.update(self._api())
            all_principles = principles_all_in_scope()
            report.line(f"worst case: every principle's scope emptied, {all_principles} published, all in scope")
            worst = self._in_process(label="all in scope")
            self._wrk(API_PATH, seconds=2, seed=0)  # the new published set compiled in every worker
            worst.update(self._api(baselines=False))
        logged = DecisionLog.objects.count()
        if logged < self.answered:
            raise CommandError(f"{self.answered:,} decisions answered but only {logged:,} in the log")
        return decisions_report(
            self.report, self.options, scoped, worst, customers=len(self.external_ids) + len(BY_HISTORY)
        )

    def _in_process(self, *, label: str) -> dict[str, Any]:
        """The engine alone, whole decisions about the population (settled, fresh) and about the three."""
        options = self.options
        engine = measure_engine(external_ids=self.external_ids, samples=options["engine_samples"], rng=self.rng)
        settled = measure_decision_make(external_ids=self.external_ids, samples=options["decisions"], rng=self.rng)
        self.answered += 70 + options["decisions"]
        fresh = self._decisions(self.external_ids, options["fresh"], fresh=True)
        keys_cost = self._keys_compared() if options["foreign_keys"] == "compare" and label == "scoped" else {}
        history = {}
        for n, external_id in BY_HISTORY.items():
            history[n] = {
                "settled": summary(self._decisions([external_id], options["history_samples"])),
                "fresh": summary(self._decisions([external_id], options["history_samples"], fresh=True)),
            }
        self._settle()
        self.report.line(f"in-process ({label}) measured")
        return {
            "engine": engine,
            "settled": settled,
            "fresh": summary(fresh),
            "history": history,
            "keys": keys_cost,
        }

    def _keys_compared(self) -> dict[str, float]:
        """Settled decisions in alternating blocks without and with the decision log's keys checked (the keys a
        decision writes): the median of each, and what the check costs."""
        timings: dict[str, list[float]] = {"schema": [], "checked": []}
        for _ in range(3):
            for mode in timings:
                with ForeignKeysChecked(DECISION_KEYS if mode == "checked" else "schema"):
                    timings[mode] += self._decisions(self.external_ids, self.options["decisions"] // 2)
        medians = {mode: statistics.median(values) for mode, values in timings.items()}
        cost = medians["checked"] / medians["schema"] - 1
        self.report.line(
            f"decision log's keys checked: {medians['checked']:.3f} ms against {medians['schema']:.3f} ms"
            f" unchecked ({cost:+.1%}), medians of 3 alternating blocks of {self.options['decisions'] // 2:,}"
        )
        return {
            "schema_ms": round(medians["schema"], 3),
            "checked_ms": round(medians["checked"], 3),
            "cost": round(cost, 3),
        }

    def _decisions(self, external_ids: list[str], samples: int, *, fresh: bool = False) -> list[float]:
        self.answered += samples
        return decisions_timed(
            external_ids=external_ids, samples=samples, rng=self.rng, fresh=self.fresh if fresh else None
        )

    def _settle(self) -> None:
        """The re-evaluation the fresh signals queued, done, as a worker would: the customers settled again."""
        stages_evaluate_changed(at=timezone.now())

    def _wrk(self, path_: str, *, seconds: int, seed: int, cpu: bool = False) -> dict[str, float]:
        options = self.options
        arguments = {
            "port": self.server.port,
            "key": self.key,
            "external_ids": self.external_ids,
            "threads": options["threads"],
            "connections": options["connections"],
            "path_": path_,
            "seconds": seconds,
            "seed": seed,
        }
        result = run_wrk_measuring_cpu(server=self.server, **arguments) if cpu else run_wrk(**arguments)
        if path_ == API_PATH:  # with the keys checked too
            self.answered += result["requests"]
        return result

    def _api(self, *, baselines: bool = True) -> dict[str, Any]:
        """The three customers through the API, one request at a time (settled, fresh), then the rounds of wrk."""
        samples = self.options["history_samples"]
        history = {}
        for n, external_id in BY_HISTORY.items():
            history[n] = {
                "settled": summary(self._api_decisions(external_id, samples)),
                "fresh": summary(self._api_decisions(external_id, samples, before=self.fresh.send)),
            }
        self._settle()
        paths = [BARE_PATH, BARE_AUTHENTICATED_PATH, API_PATH] if baselines else [API_PATH]
        rounds = []
        for n in range(1, self.options["rounds"] + 1):
            measured = {path_: self._wrk(path_, seconds=self.options["seconds"], seed=n, cpu=True) for path_ in paths}
            if baselines and self.options["foreign_keys"] == "compare":
                # The decision log's keys checked: under concurrent decisions their check's row locks on
                # the customer and the principle meet (a MultiXact when two decisions cite one principle).
                with ForeignKeysChecked(DECISION_KEYS):
                    measured[KEYS_CHECKED] = self._wrk(API_PATH, seconds=self.options["seconds"], seed=n, cpu=True)
            rounds.append(measured)
        return {"api_history": history, "rounds": rounds}

    def _api_decisions(self, external_id: str, samples: int, *, before: Callable[[str], None] | None = None):
        self.answered += samples
        return api_decisions_timed(
            port=self.server.port,
            key=self.key,
            path_=API_PATH,
            external_id=external_id,
            samples=samples,
            rng=self.rng,
            before=before,
        )
