"""bench decisions' report: the measures beside their goals, the customers of 20 to 10,000 signals side by side,
and the summary that is the last line."""

from __future__ import annotations

import statistics
from typing import Any

from .decisions_population import BY_HISTORY
from .decisions_urls import BARE_AUTHENTICATED_PATH, BARE_PATH
from .registry import Report

TARGET_ENGINE_US = 50.0
TARGET_DECISION_MS = 1.0
TARGET_RPS_RATIO = 3.0  # the API at least 1/3 of the bare view's requests/s
TARGET_P99_RATIO = 3.0
TARGET_HISTORY_RATIO = 1.5  # 10,000 signals against 20
API_PATH = "/api/v1/decisions"
ENDPOINT_NAMES = {BARE_PATH: "bare view", BARE_AUTHENTICATED_PATH: "bare authenticated", API_PATH: "POST /decisions"}
MEDIANS = ("rps", "p50_ms", "p99_ms", "cpu_us")
KEYS_CHECKED = "api with the decision log's keys checked"


def decisions_report(
    report: Report, options: dict[str, Any], scoped: dict[str, Any], worst: dict[str, Any], *, customers: int
) -> dict[str, Any]:
    """The tables of a run of bench decisions, and its summary (the JSON line)."""
    wrk = {path_: _medians([r[path_] for r in scoped["rounds"]]) for path_ in scoped["rounds"][0]}
    worst_api = _medians([r[API_PATH] for r in worst["rounds"]])
    bare, authenticated, api = wrk[BARE_PATH], wrk[BARE_AUTHENTICATED_PATH], wrk[API_PATH]
    rps_ratio, p99_ratio = bare["rps"] / api["rps"], api["p99_ms"] / bare["p99_ms"]
    report.line()
    report.line(
        f"wrk -t{options['threads']} -c{options['connections']} {options['seconds']} s per endpoint and round,"
        f" {options['rounds']} rounds, gunicorn config.wsgi with {options['workers']} workers of"
        f" {options['worker_threads']} thread(s), loopback; in-process: {options['decisions']:,} settled and"
        f" {options['fresh']:,} fresh decisions about random customers, {options['history_samples']} per"
        f" customer and way for the three; {scoped['settled']['queries']:.1f} queries per decision"
    )
    for sql in scoped["settled"]["examples"]:
        report.line(f"    {sql}")
    report.line()
    rows = []
    for label, measured in (("scoped", scoped), ("all 50 in scope", worst)):
        engine = measured["engine"]
        rows.append(
            (
                f"engine, {label} ({engine['matched_per_decision']:.1f} matched)",
                f"{engine['median_us']:.1f} µs",
                f"{engine['p99_us']:.1f} µs",
                "< 50 µs",
                _ok(engine["median_us"] < TARGET_ENGINE_US),
            )
        )
        for way in ("settled", "fresh"):
            timed = measured[way]
            rows.append(
                (
                    f"decision in-process, {label}, {way}",
                    f"{timed['median_ms']:.3f} ms",
                    f"{timed['p99_ms']:.3f} ms",
                    "< 1 ms",
                    _ok(timed["median_ms"] < TARGET_DECISION_MS),
                )
            )
    settled = scoped["settled"]
    rows += [
        ("baseline: SELECT 1 round trip", f"{settled['round_trip_ms']:.3f} ms", "", "", ""),
        ("baseline: ORM read of a customer", f"{settled['orm_read_ms']:.3f} ms", "", "", ""),
        ("baseline: durable INSERT (commit)", f"{settled['commit_ms']:.3f} ms", "", "", ""),
    ]
    for n, measured_round in enumerate(scoped["rounds"], 1):
        for path_, name in ENDPOINT_NAMES.items():
            result = measured_round[path_]
            rows.append(
                (
                    f"round {n} {name}",
                    f"{result['rps']:,.0f} req/s",
                    f"p50 {result['p50_ms']:.2f} / p99 {result['p99_ms']:.2f} ms",
                    "",
                    "",
                )
            )
    for n, measured_round in enumerate(worst["rounds"], 1):
        result = measured_round[API_PATH]
        rows.append(
            (
                f"round {n} POST /decisions, all in scope",
                f"{result['rps']:,.0f} req/s",
                f"p50 {result['p50_ms']:.2f} / p99 {result['p99_ms']:.2f} ms",
                "",
                "",
            )
        )
    if KEYS_CHECKED in wrk:
        checked = wrk[KEYS_CHECKED]
        rows.append(
            (
                "POST /decisions, log keys checked",
                f"{checked['rps']:,.0f} req/s",
                f"p50 {checked['p50_ms']:.2f} / p99 {checked['p99_ms']:.2f} ms",
                f"{checked['rps'] / api['rps'] - 1:+.1%} req/s",
                "",
            )
        )
    rows += [
        ("CPU per request, bare view", f"{bare['cpu_us']:,.0f} µs", "", "", ""),
        ("CPU per request, bare authenticated", f"{authenticated['cpu_us']:,.0f} µs", "", "", ""),
        ("CPU per request, POST /decisions", f"{api['cpu_us']:,.0f} µs", "", "", ""),
        ("API req/s: bare / api", f"{rps_ratio:.2f}", "", "<= 3", _ok(rps_ratio <= TARGET_RPS_RATIO)),
        ("API p99: api / bare", f"{p99_ratio:.2f}", "", "< 3", _ok(p99_ratio < TARGET_P99_RATIO)),
        ("API req/s: authenticated bare / api", f"{authenticated['rps'] / api['rps']:.2f}", "", "", ""),
        ("API p99: api / authenticated bare", f"{api['p99_ms'] / authenticated['p99_ms']:.2f}", "", "", ""),
    ]
    report.table(["measure", "median", "p99", "goal", ""], rows)
    report.line()
    history_ok = True
    ratios: dict[str, float] = {}
    for label, measured in (("scoped", scoped), ("all 50 in scope", worst)):
        report.line(f"one customer's decisions by history length, {label} (median / p99 ms):")
        table = []
        for n in BY_HISTORY:
            cells = [f"{n:,} signals"]
            for where in ("history", "api_history"):
                for way in ("settled", "fresh"):
                    timed = measured[where][n][way]
                    cells.append(f"{timed['median_ms']:.2f} / {timed['p99_ms']:.2f}")
            table.append(cells)
        cells = ["10,000 / 20"]
        for where in ("history", "api_history"):
            for way in ("settled", "fresh"):
                ratio = measured[where][10_000][way]["median_ms"] / measured[where][20][way]["median_ms"]
                ratios[f"{'worst_' if measured is worst else ''}{where}_{way}"] = round(ratio, 2)
                history_ok = history_ok and ratio <= TARGET_HISTORY_RATIO
                cells.append(f"{ratio:.2f}x ({_ok(ratio <= TARGET_HISTORY_RATIO)} 1.5x)")
        table.append(cells)
        report.table(["customer", "in-process settled", "in-process fresh", "API settled", "API fresh"], table)
        report.line()
    return {
        "customers": customers,
        "principles": scoped["engine"]["principles"],
        "engine_median_us": round(scoped["engine"]["median_us"], 2),
        "engine_all_in_scope_median_us": round(worst["engine"]["median_us"], 2),
        "decision_make_median_ms": round(settled["median_ms"], 3),
        "decision_make_p99_ms": round(settled["p99_ms"], 3),
        "decision_make_fresh_median_ms": round(scoped["fresh"]["median_ms"], 3),
        "decision_make_all_in_scope_median_ms": round(worst["settled"]["median_ms"], 3),
        "decision_make_queries": settled["queries"],
        "history_median_ms": {
            str(n): {
                "in_process": round(scoped["history"][n]["settled"]["median_ms"], 3),
                "in_process_fresh": round(scoped["history"][n]["fresh"]["median_ms"], 3),
                "api": round(scoped["api_history"][n]["settled"]["median_ms"], 3),
                "api_fresh": round(scoped["api_history"][n]["fresh"]["median_ms"], 3),
            }
            for n in BY_HISTORY
        },
        "history_ratios_10000_to_20": ratios,
        "bare_rps": round(bare["rps"]),
        "bare_authenticated_rps": round(authenticated["rps"]),
        "api_rps": round(api["rps"]),
        "api_all_in_scope_rps": round(worst_api["rps"]),
        "bare_p99_ms": round(bare["p99_ms"], 2),
        "bare_authenticated_p99_ms": round(authenticated["p99_ms"], 2),
        "api_p99_ms": round(api["p99_ms"], 2),
        "api_all_in_scope_p99_ms": round(worst_api["p99_ms"], 2),
        "rps_ratio": round(rps_ratio, 2),
        "p99_ratio": round(p99_ratio, 2),
        "rounds": options["rounds"],
        "ok_engine": scoped["engine"]["median_us"] < TARGET_ENGINE_US,
        "ok_decision_make": settled["median_ms"] < TARGET_DECISION_MS,
        "ok_api": rps_ratio <= TARGET_RPS_RATIO and p99_ratio < TARGET_P99_RATIO,
        "ok_history": history_ok,
        **(
            {
                "api_keys_checked_rps": round(wrk[KEYS_CHECKED]["rps"]),
                "api_keys_checked_p99_ms": round(wrk[KEYS_CHECKED]["p99_ms"], 2),
            }
            if KEYS_CHECKED in wrk
            else {}
        ),
        **({"decision_log_keys_checked": scoped["keys"]} if scoped["keys"] else {}),
    }


def _medians(results: list[dict[str, float]]) -> dict[str, float]:
    return {name: statistics.median(result[name] for result in results) for name in MEDIANS}


def _ok(passed: bool) -> str:
    return "meets" if passed else "MISSES"
