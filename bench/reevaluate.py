"""bench reevaluate: full set-based re-evaluations (facts + stages) beside a bare GROUP BY of the same signals.

Quality bars (DESIGN.md section 12, issue 15): the full run within 3x of one GROUP BY over the
signals into the customers; 10,000 changed customers brought up to date incrementally in under 2 s.

The headline is the cold full run: every customer's facts computed from all their signals, no
stored facts reused (as after an import), the stages held. Then the days: in each, 1% of the
customers receive new signals, the incremental run brings them up to date (the worker's work after
each batch; its time is the incremental figure), and the scheduled daily full run follows. Every
figure is the median of `--samples` (at least 3 by default) runs, each beside GROUP BYs measured
just before it: the strict one reads the signals' covering index only, as the facts statement
does; the table one also sums a column only the table holds, so it reads the rows themselves.
The server settings that change the figures are printed. Last, one customer with a long history (and one with
a population-sized one beside it) re-evaluated as of now after one new signal dated now: see reevaluate_one.

The population lives in a scratch database of its own (`<db>_reeval`, named after and created beside
the one DATABASE_URL names, and migrated): see reevaluate_population.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from cxcore.facts.set_based import FACTS_NO_JIT, FACTS_WORK_MEM
from membrane.runs.services import CHUNK_SIZE, stages_evaluate_all, stages_evaluate_changed

from .foreign_keys import ForeignKeysChecked, add_foreign_keys_argument
from .reevaluate_one import TARGET_ONE_MS, OneCustomer, measure_one_customer
from .reevaluate_population import (
    bench_database,
    day_of_signals,
    populate,
    population_ready,
    reset_changes,
    use_scratch_database,
    vacuum,
)
from .registry import Benchmark, Report, median, register, require_postgresql

TARGET_RATIO = 3.0
TARGET_CHANGED_S = 2.0
DAY = dt.timedelta(days=1)

# The bare aggregate of the quality bar: every signal row read once into its customer. PostgreSQL
# answers it from the (customer_id, occurred_at) covering index alone once the table is vacuumed,
# as the facts statement reads the signals: the strict baseline.
BASELINE_SQL = (
    "SELECT count(*), sum(signals), max(last_at) FROM (SELECT customer_id, count(*) AS signals,"
    " max(occurred_at) AS last_at FROM cxcore_signal GROUP BY customer_id) per_customer"
)
# The same with a column only the table holds (amount), so the rows themselves are read: the
# aggregate of the baseline DESIGN.md section 12 gives (one GROUP BY of 10M signals, about 4 s).
TABLE_BASELINE_SQL = (
    "SELECT count(*), sum(signals), max(last_at), sum(spent) FROM (SELECT customer_id, count(*) AS signals,"
    " max(occurred_at) AS last_at, sum(amount) AS spent FROM cxcore_signal GROUP BY customer_id) per_customer"
)


def _timed(sql: str) -> float:
    """Seconds to run `sql`, which consumes every column it aggregates: PostgreSQL drops the aggregates
    of a subquery nothing reads (a bare count(*) over it only counts the groups)."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql)
        cursor.fetchone()
    return time.perf_counter() - started


# The server settings that change the figures: parallel workers (the GROUP BYs use them, a full run's
# chunks run side by side on connections of their own), autovacuum (off here: the bench vacuums
# between runs), memory, JIT.
SERVER_SETTINGS = (
    "max_parallel_workers_per_gather",
    "max_parallel_workers",
    "autovacuum",
    "work_mem",
    "maintenance_work_mem",
    "shared_buffers",
    "effective_cache_size",
    "jit",
    "synchronous_commit",
    "max_wal_size",
)


def server_settings() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, setting || COALESCE(' ' || unit, '') FROM pg_settings WHERE name = ANY(%s) ORDER BY name",
            [list(SERVER_SETTINGS)],
        )
        return dict(cursor.fetchall())


@dataclass
class Sample:
    """One measured run beside the GROUP BYs measured just before it."""

    label: str
    seconds: float
    group_by: float
    table_group_by: float
    customers: int = 0
    recomputed: int = 0
    transitions: int = 0
    load: str = ""

    @property
    def ratio(self) -> float:
        return self.seconds / self.group_by

    @property
    def table_ratio(self) -> float:
        return self.seconds / self.table_group_by

    def row(self) -> tuple:
        return (
            self.label,
            self.customers,
            self.recomputed,
            self.transitions,
            f"{self.group_by:.2f}",
            f"{self.table_group_by:.2f}",
            f"{self.seconds:.2f}",
            f"{self.ratio:.2f}",
            f"{self.table_ratio:.2f}",
            self.load,
        )


def _full_run(label: str, as_of) -> Sample:
    base, table = _timed(BASELINE_SQL), _timed(TABLE_BASELINE_SQL)
    started = time.perf_counter()
    run = stages_evaluate_all(as_of=as_of)
    seconds = time.perf_counter() - started
    return Sample(
        label,
        seconds,
        base,
        table,
        customers=run.customers,
        recomputed=_facts_computed_since(run.started_at),
        transitions=run.transitions,
        load=_load(),
    )


def _summary(samples: list[Sample]) -> Sample:
    return Sample(
        "median",
        median(s.seconds for s in samples),
        median(s.group_by for s in samples),
        median(s.table_group_by for s in samples),
    )


@register
class Reevaluate(Benchmark):
    name = "reevaluate"
    help = (
        "Cold full run (facts from all signals) against the strict GROUP BY; daily runs after 1% of customers got"
        " new signals; the incremental run over the changed customers."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--customers", type=int, default=1_000_000)
        parser.add_argument("--signals-per-customer", type=int, default=10)
        parser.add_argument(
            "--changed", type=int, default=0, help="customers with new signals each day (default 1%% of them)"
        )
        parser.add_argument("--samples", type=int, default=3, help="cold runs, and days (each a daily run)")
        parser.add_argument(
            "--long-signals", type=int, default=10_000, help="signals of the customer re-evaluated after one new signal"
        )
        parser.add_argument(
            "--one-samples", type=int, default=7, help="re-evaluations of one customer after one new signal, each"
        )
        add_foreign_keys_argument(parser, compare=True)

    def run(self, *, options: dict[str, Any], report: Report) -> dict[str, Any]:
        require_postgresql(self.name)
        customers, per, samples = options["customers"], options["signals_per_customer"], options["samples"]
        if customers < 1 or per < 1 or samples < 1:
            raise CommandError("--customers, --signals-per-customer and --samples must be positive.")
        changed = options["changed"] or max(1, customers // 100)
        database = bench_database()
        use_scratch_database(database)
        if population_ready(customers=customers, per_customer=per):
            started = time.perf_counter()
            reset_changes()
            report.line(
                f"database {database}: reused its {customers:,} customers / {customers * per:,} signals"
                f" (earlier runs' changes removed and their tables vacuumed, as autovacuum would, in"
                f" {time.perf_counter() - started:.1f} s)"
            )
        else:
            generated_s = populate(customers=customers, per_customer=per, now=timezone.now())
            report.line(
                f"database {database}: generated {customers:,} customers / {customers * per:,} signals"
                f" in {generated_s:.1f} s (generate_series, indexes built after the load)"
            )
        settings_now = server_settings()
        report.line("server settings: " + ", ".join(f"{name}={value}" for name, value in settings_now.items()))
        report.line(
            f"full runs: {settings.EVALUATION_CONNECTIONS} connections side by side, chunks of"
            f" {CHUNK_SIZE:,} customers; the facts statement sets {FACTS_WORK_MEM[10:]}, {FACTS_NO_JIT[10:]}"
        )
        report.line(f"load average before: {_load()}")
        spec = options["foreign_keys"]
        compare = spec.startswith("compare")
        modes = ["schema", spec.partition(":")[2] or "checked"] if compare else [spec]
        with ForeignKeysChecked(modes[-1]) as keys:
            report.line(keys.describe())
        first_runs, cold, cold_checked, days, incremental = self._measure(samples=samples, changed=changed, modes=modes)
        one = measure_one_customer(long_signals=options["long_signals"], samples=max(3, options["one_samples"]))
        first = first_runs[0]
        paired = [sample for pair in zip(cold, cold_checked, strict=True) for sample in pair] if compare else cold
        self._report(report, first_runs, paired, days, incremental)
        _report_one(report, one)
        fk_costs = {}
        if compare:
            fk_costs = {
                "first_run_checked_s": round(first_runs[1].seconds, 3),
                "first_fk_cost": round(first_runs[1].seconds / first.seconds - 1, 3),
                "cold_run_checked_s": round(_summary(cold_checked).seconds, 3),
                "cold_fk_cost": round(_summary(cold_checked).seconds / _summary(cold).seconds - 1, 3),
                "cold_pairs_s": [
                    [round(a.seconds, 2), round(b.seconds, 2)] for a, b in zip(cold, cold_checked, strict=True)
                ],
            }
            report.line(
                f"foreign keys checked: first run {fk_costs['first_fk_cost']:+.1%}, cold run (median of"
                f" {samples} pairs) {fk_costs['cold_fk_cost']:+.1%}"
            )
        cold_s, daily_s = _summary(cold), _summary(days)
        changed_s = median(seconds for seconds, _ in incremental)
        return {
            "customers": customers,
            "signals": customers * per,
            "foreign_keys": options["foreign_keys"],
            "samples": samples,
            "group_by_s": round(cold_s.group_by, 3),
            "table_group_by_s": round(cold_s.table_group_by, 3),
            "cold_run_s": round(cold_s.seconds, 3),
            "cold_ratio": round(cold_s.seconds / cold_s.group_by, 2),
            "cold_table_ratio": round(cold_s.seconds / cold_s.table_group_by, 2),
            "cold_runs_s": [round(s.seconds, 2) for s in cold],
            "daily_run_s": round(daily_s.seconds, 3),
            "daily_ratio": round(daily_s.seconds / daily_s.group_by, 2),
            "daily_changed_customers": changed,
            "first_run_s": round(first.seconds, 3),
            "first_ratio": round(first.ratio, 2),
            "changed_customers": incremental[0][1],
            "changed_s": round(changed_s, 3),
            "changed_runs_s": [round(seconds, 2) for seconds, _ in incremental],
            "target_ratio": TARGET_RATIO,
            "ok_cold": cold_s.seconds / cold_s.group_by <= TARGET_RATIO,
            "ok_daily": daily_s.seconds / daily_s.group_by <= TARGET_RATIO,
            "ok_changed": changed_s < TARGET_CHANGED_S,
            "one_customer_ms": {figure.label: round(figure.median_ms, 1) for figure in one},
            "one_customer_first_ms": {figure.label: round(figure.first_ms, 1) for figure in one},
            "ok_one": one[0].median_ms < TARGET_ONE_MS,
            **fk_costs,
            "server_settings": settings_now,
            "load_average": _load(),
        }

    def _measure(self, *, samples: int, changed: int, modes: list[str]):
        at = _after_stored()
        # The first run finds no stored facts, stages or history (a new installation).
        first_runs = []
        for mode in modes:
            at += dt.timedelta(hours=1)
            with connection.cursor() as cursor:
                cursor.execute("TRUNCATE cxcore_customerfacts, membrane_customerstage, membrane_stagetransition")
            with ForeignKeysChecked(mode):
                first_runs.append(_full_run(f"first{_keys_label(mode, modes)}", at))
            vacuum()
        # Cold: every customer's facts computed again from all their signals, no stored facts reused (as
        # after an import or a change to a fact's definition), the stages held; an hour apart.
        # With compare, each cold run twice in a row, without and with every unchecked key checked.
        cold, cold_checked = [], []
        for n in range(1, samples + 1):
            for mode in modes:
                at += dt.timedelta(hours=1)
                with connection.cursor() as cursor:
                    cursor.execute("TRUNCATE cxcore_customerfacts")
                with ForeignKeysChecked(mode):
                    sample = _full_run(f"cold {n}{_keys_label(mode, modes)}", at)
                (cold_checked if mode != "schema" and len(modes) == 2 else cold).append(sample)
                vacuum()
        # Days: during each, `changed` customers receive a new signal and the incremental run (what the
        # worker does after each batch) brings them up to date; then the scheduled daily full run.
        days, incremental = [], []
        for n in range(1, samples + 1):
            since, at = at, at + DAY
            queued = day_of_signals(n=changed, since=since, until=at)
            started = time.perf_counter()
            run = stages_evaluate_changed(at=at)
            incremental.append((time.perf_counter() - started, run.customers or queued))
            days.append(_full_run(f"day {n}", at + dt.timedelta(minutes=5)))
            vacuum()
        return first_runs, cold, cold_checked, days, incremental

    def _report(self, report: Report, first_runs: list[Sample], cold: list[Sample], days: list[Sample], incremental):
        first = first_runs[0]
        cold_s, daily_s = _summary([s for s in cold if "checked" not in s.label]), _summary(days)
        headers = ["run", "customers", "facts_computed", "transitions", "group_by_s", "table_group_by_s", "run_s"]
        headers += ["ratio", "table_ratio", "load"]
        cold_median = (*cold_s.row()[:1], "", "", "", *cold_s.row()[4:9], "")
        daily_median = (*daily_s.row()[:1], "", "", "", *daily_s.row()[4:9], "")
        rows = [*(s.row() for s in first_runs), *(s.row() for s in cold), cold_median]
        rows += [*(s.row() for s in days), daily_median]
        report.table(headers, rows)
        report.line(f"group_by (strict, index only): {BASELINE_SQL}")
        report.line(f"table_group_by: {TABLE_BASELINE_SQL}")
        report.line(
            "first: nothing stored yet (every customer's facts and first stage); cold N: every customer's facts"
            " computed again from all their signals, no stored facts reused, the stages held; day N: the scheduled"
            " full run after a day in which some customers received new signals (brought up to date by the"
            " incremental run meanwhile)"
        )
        changed_s = median(seconds for seconds, _ in incremental)
        report.line(
            "incremental: "
            + ", ".join(f"{customers:,} changed customers in {seconds:.2f} s" for seconds, customers in incremental)
            + f"; median {changed_s:.2f} s (target < {TARGET_CHANGED_S:.0f} s)"
        )

        def verdict(sample: Sample) -> str:
            return f"{sample.ratio:.2f}x ({'met' if sample.ratio <= TARGET_RATIO else 'missed'})"

        report.line(
            f"goal, a full run within {TARGET_RATIO:.0f}x of the strict GROUP BY (medians): cold {verdict(cold_s)},"
            f" daily {verdict(daily_s)}; against the table GROUP BY cold {cold_s.table_ratio:.2f}x,"
            f" daily {daily_s.table_ratio:.2f}x; first {first.ratio:.2f}x"
        )


def _after_stored() -> dt.datetime:
    """A time after any earlier run's: every full run is as of a later instant, so everyone is evaluated again."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(evaluated_through) FROM membrane_customerstage")
        latest = cursor.fetchone()[0]
    return max(timezone.now(), latest or timezone.now()) + dt.timedelta(minutes=1)


def _report_one(report: Report, one: list[OneCustomer]) -> None:
    report.table(
        ["one customer re-evaluated", "first_ms", "median_ms", "samples_ms"],
        [
            (f.label, f"{f.first_ms:.1f}", f"{f.median_ms:.1f}", " ".join(f"{ms:.1f}" for ms in f.samples_ms))
            for f in one
        ],
    )
    report.line(
        "one customer: the incremental run as of now over that customer alone after one new signal dated now (the"
        " worker's work after an ingest), its run row included; first: their first evaluation without a"
        f" stored checkpoint (every signal read). Goal: under {TARGET_ONE_MS:.0f} ms for the long history:"
        f" {one[0].median_ms:.1f} ms"
        f" ({'met' if one[0].median_ms < TARGET_ONE_MS else 'missed'})"
    )


def _keys_label(mode: str, modes: list[str]) -> str:
    return f" (keys {'schema' if mode == 'schema' else 'checked'})" if len(modes) == 2 else ""


def _facts_computed_since(started) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cxcore_customerfacts WHERE computed_at >= %s", [started])
        return cursor.fetchone()[0]


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())
