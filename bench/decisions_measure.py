"""bench decisions in-process: the published principles alone (the engine), and whole decisions as the API
makes them, beside the round trips, reads and commits a decision is made of."""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cxcore.models import Customer
from cxcore.selectors import category_needs_consent
from membrane.decisions.engine import decide, ruleset_get
from membrane.decisions.facts import customer_row
from membrane.decisions.selectors import decision_inputs_read
from membrane.decisions.services import decision_make
from membrane.decisions.values import DecisionInputs, Interaction

from .decisions_population import ASKS, fresh_signal_ingest
from .registry import percentile


def measure_engine(*, external_ids: list[str], samples: int, rng: random.Random) -> dict[str, float]:
    """The rule alone (decide) over real fact rows and the real compiled published set; no database."""
    ruleset = ruleset_get()
    now = timezone.now()
    cases = []
    for external_id in rng.sample(external_ids, min(200, len(external_ids))):
        customer = Customer.objects.get(external_id=external_id)
        team, category, channel = rng.choice(ASKS)
        row, _ = customer_row(inputs=DecisionInputs(customer), at=now, interaction=Interaction(team, category, channel))
        consented = customer.has_consent(channel)
        cases.append((row, team, category, channel, category_needs_consent(category=category), consented))
    contacts = [now - dt.timedelta(days=2)]
    timings = []
    matched = 0
    for i in range(samples):
        row, team, category, channel, required, consented = cases[i % len(cases)]
        started = time.perf_counter_ns()
        verdict = decide(
            ruleset,
            row,
            team=team,
            category=category,
            channel=channel,
            at=now,
            consent_required=required,
            consented=consented,
            contacts=lambda cap: contacts,
        )
        timings.append((time.perf_counter_ns() - started) / 1000)
        matched += len(verdict.matched)
    return {
        "median_us": statistics.median(timings),
        "p99_us": percentile(timings, 0.99),
        "principles": len(ruleset.principles),
        "matched_per_decision": matched / samples,
    }


def _decision_ms(external_id: str, interaction: Interaction) -> float:
    started = time.perf_counter_ns()
    inputs = decision_inputs_read(external_id=external_id)
    decision_make(inputs=inputs, interaction=interaction, asked_by="bench")
    return (time.perf_counter_ns() - started) / 1e6


class FreshSignals:
    """New signals for customers, each ingested (committed, its customer queued for re-evaluation) just
    before the decision that is timed, so that decision must bring the stage up to date first."""

    def __init__(self) -> None:
        self.sent = 0

    def send(self, external_id: str) -> None:
        self.sent += 1
        fresh_signal_ingest(external_id, n=self.sent)


def decisions_timed(
    *, external_ids: list[str], samples: int, rng: random.Random, fresh: FreshSignals | None = None
) -> list[float]:
    """Milliseconds of `samples` whole decisions (customer read, stage brought up to date, facts, rule, log row)
    about customers drawn from `external_ids`; with `fresh`, each right after a new signal for its customer."""
    timings = []
    for _ in range(samples):
        external_id = rng.choice(external_ids)
        interaction = Interaction(*rng.choice(ASKS))
        if fresh is not None:
            fresh.send(external_id)
        timings.append(_decision_ms(external_id, interaction))
    return timings


def summary(timings: list[float]) -> dict[str, float]:
    return {"median_ms": statistics.median(timings), "p99_ms": percentile(timings, 0.99), "samples": len(timings)}


def measure_decision_make(*, external_ids: list[str], samples: int, rng: random.Random) -> dict[str, float]:
    """Whole decisions as the API makes them about settled customers of the population, beside the units a
    decision is made of (a round trip, an ORM read, a durable commit) and the queries it runs."""
    decisions_timed(external_ids=external_ids, samples=50, rng=rng)  # warm: compiled rules, vocabularies
    # Beside it, in the same run: one bare round trip and one ORM read of a customer by external id,
    # the units a decision is made of, so a loaded machine shows as such.
    round_trips, orm_reads = [], []
    with connection.cursor() as cursor:
        for _ in range(500):
            started = time.perf_counter_ns()
            cursor.execute("SELECT 1")
            cursor.fetchone()
            round_trips.append((time.perf_counter_ns() - started) / 1e6)
    for _ in range(500):
        external_id = rng.choice(external_ids)
        started = time.perf_counter_ns()
        Customer.objects.get(external_id=external_id)
        orm_reads.append((time.perf_counter_ns() - started) / 1e6)
    # And one durable commit, a row INSERTed and its WAL flushed as the log's is: the part of a
    # decision that other writers on the same server (and disk) slow the most.
    commits = []
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_commit (id bigserial PRIMARY KEY, at timestamptz NOT NULL)")
        for _ in range(500):
            started = time.perf_counter_ns()
            cursor.execute("INSERT INTO bench_commit (at) VALUES (now())")
            commits.append((time.perf_counter_ns() - started) / 1e6)
    with CaptureQueriesContext(connection) as captured:
        decisions_timed(external_ids=external_ids, samples=20, rng=rng)
    queries = len(captured.captured_queries) / 20
    timings = decisions_timed(external_ids=external_ids, samples=samples, rng=rng)
    return {
        **summary(timings),
        "queries": queries,
        "round_trip_ms": statistics.median(round_trips),
        "orm_read_ms": statistics.median(orm_reads),
        "commit_ms": statistics.median(commits),
        "examples": [q["sql"][:160] for q in captured.captured_queries[: int(queries) + 1]],
    }
