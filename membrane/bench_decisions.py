"""bench decisions: the decision engine, one whole decision in-process, and the decision API under load.

Quality bars (DESIGN.md section 12): the 50 published principles evaluated in under 50 µs; a
whole decision in-process (facts read, stage brought up to date, log written) under 1 ms; the
decision API at least 1/3 of a bare DRF view's requests/s with a p99 under 3x the bare view's.

Everything runs in a scratch PostgreSQL database created for the run (on the server DATABASE_URL
names) and dropped afterwards: 50 principles are published there through the real lifecycle
services, beside a population of customers whose signals go through the real ingest service.
The API is a real gunicorn (config.wsgi, as many sync workers as bin/console starts) driven by
wrk on loopback; the baseline is a bare APIView with the same authentication and permission,
mounted only by this module's URLconf (membrane.bench_settings), measured in the same run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import include, path
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.views import APIView

from cxcore.api import JSONParser
from cxcore.bench import Benchmark, Gunicorn, Report, register, require_postgresql

TARGET_ENGINE_US = 50.0
TARGET_DECISION_MS = 1.0
TARGET_RPS_RATIO = 3.0  # the API at least 1/3 of the bare view's requests/s
TARGET_P99_RATIO = 3.0
PRINCIPLES = 50
BARE_PATH = "/bench/bare"
API_PATH = "/api/v1/decisions"

# Who asks about what: the interactions an integrating system really asks about.
ASKS = [
    ("marketing_devices", "upsell", "email"),
    ("marketing_devices", "marketing", "email"),
    ("marketing_devices", "marketing", "push"),
    ("marketing_services", "marketing", "email"),
    ("marketing_services", "marketing", "sms"),
    ("sales", "sales_offer", "phone"),
    ("sales", "upsell", "email"),
    ("research", "survey", "email"),
    ("research", "survey", "sms"),
    ("service", "service_update", "email"),
    ("service", "service_credit", "phone"),
    ("service", "agent_contact", "phone"),
]

# Conditions of the generated principles: the facts and shapes CX managers write (DESIGN.md 5).
CONDITIONS = [
    'stage == "crisis"',
    'stage in ["crisis", "at_risk"] and not eta_given',
    "open_high_severity_tickets > 0",
    "complaints_30d >= 2",
    "last_survey_score < 5",
    "contacts_7d >= 3",
    'segment == "enterprise" and lifetime_value >= 5000',
    'segment == "smb" and lifetime_value >= 1000 and local_hour < 20',
    'weekday in ["saturday", "sunday"] or local_hour >= 21 or local_hour < 8',
    "days_since_last_purchase > 90 and purchases_90d == 0",
    'previous_stage == "crisis" and days_in_stage < 14',
    'stage == "loyal" and purchases_90d >= 2',
    'stage == "onboarding" and tenure_days < 30',
    "days_since_oldest_open_ticket > 7",
    'stage == "dormant" and days_since_last_contact > 30',
    "max_issue_recurrence_90d >= 2 and open_tickets > 0",
    'region == "south" and channel == "sms"',
    "tickets_resolved_30d > 0 and days_since_last_resolution < 3",
]
# Scopes beside the conditions: mixed categories, channels, teams; empty means all.
SCOPES = [
    {"categories": ["marketing", "sales_offer", "upsell"]},
    {"categories": ["survey"]},
    {"categories": ["marketing"], "channels": ["sms", "push"]},
    {"categories": ["upsell", "sales_offer"], "teams": ["sales", "marketing_devices"]},
    {},
    {"channels": ["phone"]},
    {"categories": ["marketing"], "teams": ["marketing_services"]},
    {"categories": ["service_update", "service_credit"]},
]
EFFECTS = ["suppress", "allow", "cap", "suppress", "prescribe", "suppress", "allow"]
ACTIONS = [("agent_contact", "service"), ("offer_free_service", "service"), ("service_credit", "cx")]


class BareView(APIView):
    """The baseline: DRF with the decision API's parser, authentication and permission, and no work."""

    parser_classes = [JSONParser]

    def get_permissions(self):
        from membrane.api_decisions import DECIDERS

        return [DECIDERS()]

    def post(self, request):
        return Response({"verdict": "allow", "decided_by": None, "reason": "bare"})


# The URLconf of membrane.bench_settings: the project's, plus the bare view.
urlpatterns = [path(BARE_PATH.lstrip("/"), BareView.as_view()), path("", include("config.urls"))]


# --- the scratch database ----------------------------------------------------------------------


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
        for key, value in (("DATABASE_URL", url), ("DJANGO_SETTINGS_MODULE", "membrane.bench_settings")):
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


# --- the population ----------------------------------------------------------------------------


def _managers():
    from django.contrib.auth.models import Group

    from cxcore.models import Team, User

    group = Group.objects.get(name="cx_manager")
    users = []
    for username, team in (("bench-author", "cx"), ("bench-reviewer", "service")):
        user = User.objects.create_user(username=username, team=Team.objects.get(key=team))
        user.groups.add(group)
        users.append(user)
    return users


def publish_principles(*, total: int, rng: random.Random) -> int:
    """Tops the published set up to `total` through the real services (create, submit, approve, publish)."""
    from membrane.models.principles import PrincipleVersion, VersionStatus
    from membrane.principles import services

    author, reviewer = _managers()
    published = PrincipleVersion.objects.filter(status=VersionStatus.PUBLISHED).count()
    for i in range(total - published):
        effect = EFFECTS[i % len(EFFECTS)]
        scope = {} if effect == "prescribe" else SCOPES[i % len(SCOPES)]
        params: dict[str, Any] = {}
        if effect == "cap":
            params = {"n": rng.choice([1, 2, 3, 5]), "days": rng.choice([7, 14, 30])}
        elif effect == "prescribe":
            action, team = ACTIONS[i % len(ACTIONS)]
            params = {"action": action, "team": team, "due_hours": rng.choice([4, 24, 72])}
        version = services.principle_create(
            actor=author,
            slug=f"bench-{i:02d}",
            title=f"Bench principle {i:02d}",
            rationale="Generated by bench decisions.",
            condition=CONDITIONS[(i * 7) % len(CONDITIONS)],
            effect=effect,
            params=params,
            priority=rng.choice([0, 10, 50, 100, 150, 300]),
            **scope,
        )
        version = services.principle_version_submit(version=version, actor=author)
        version = services.principle_version_approve(version=version, actor=reviewer)
        services.principle_version_publish(version=version, actor=author)
    return PrincipleVersion.objects.filter(status=VersionStatus.PUBLISHED).count()


def _signal_items(external_id: str, *, n: int, now: dt.datetime, rng: random.Random) -> list[dict[str, Any]]:
    """About n signals of one customer over the last 200 days: tickets that open, recur and resolve."""
    items: list[dict[str, Any]] = []
    for i in range(n):
        when = now - dt.timedelta(seconds=rng.randrange(200 * 86400))
        kind = rng.choices(
            ["contact", "purchase", "ticket", "survey_response", "complaint", "app_login"], [30, 20, 20, 8, 4, 18]
        )[0]
        item: dict[str, Any] = {
            "customer": external_id,
            "occurred_at": when.isoformat(),
            "idempotency_key": f"{external_id}-{i}",
        }
        if kind == "ticket":
            ref = f"T{rng.randrange(4)}"
            items.append(
                {
                    **item,
                    "kind": "ticket_opened",
                    "ticket_ref": ref,
                    "issue_key": f"issue-{rng.randrange(2)}",
                    "severity": rng.choice(["low", "normal", "high"]),
                }
            )
            later = when + dt.timedelta(hours=rng.randrange(1, 24 * 10))
            follow = rng.choice(["ticket_eta_given", "ticket_resolved", None])
            if follow and later < now:
                follow_item = {**item, "kind": follow, "ticket_ref": ref, "occurred_at": later.isoformat()}
                follow_item["idempotency_key"] += "-f"
                if follow == "ticket_eta_given":
                    follow_item["eta"] = (later + dt.timedelta(days=2)).isoformat()
                items.append(follow_item)
            continue
        item["kind"] = kind
        if kind == "contact":
            team, category, channel = rng.choice(ASKS)
            item.update(direction="out", team=team, category=category, channel=channel)
        elif kind == "purchase":
            item["amount"] = f"{rng.randrange(1000, 300_000) / 100:.2f}"
        elif kind == "survey_response":
            item.update(score=rng.randrange(11), scale=10)
        items.append(item)
    return items


def populate(*, customers: int, per_customer: int, now: dt.datetime, rng: random.Random) -> tuple[list[str], int]:
    """Customers with varied profiles and consent, their signals through signals_ingest, stages up to now."""
    from cxcore.models import Customer
    from cxcore.services import signals_ingest
    from membrane.stages.services import stages_evaluate_changed

    external_ids = [f"bench-c{i:05d}" for i in range(customers)]
    Customer.objects.bulk_create(
        [
            Customer(
                external_id=external_id,
                name=f"Merchant {i}",
                segment=rng.choice(["smb", "smb", "enterprise", "consumer"]),
                region=rng.choice(["north", "south", "east", "west"]),
                timezone=rng.choice(["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC"]),
                lifetime_value=rng.randrange(0, 20_000),
                consent={channel: rng.random() < 0.8 for channel in ("email", "sms", "push", "phone")},
            )
            for i, external_id in enumerate(external_ids)
        ],
        batch_size=2000,
    )
    Customer.objects.filter(external_id__in=external_ids).update(created_at=now - dt.timedelta(days=400))
    items = [item for e in external_ids for item in _signal_items(e, n=per_customer, now=now, rng=rng)]
    for start in range(0, len(items), 1000):
        signals_ingest(items=items[start : start + 1000], source="bench")
    # As the scheduled run leaves them: every customer's stage evaluated up to a moment ago.
    stages_evaluate_changed(at=timezone.now())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return external_ids, len(items)


# --- the three measurements --------------------------------------------------------------------


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure_engine(*, external_ids: list[str], samples: int, rng: random.Random) -> dict[str, float]:
    """The rule alone (decide) over real fact rows and the real compiled published set; no database."""
    from cxcore.models import Customer
    from membrane.decisions.engine import decide, ruleset_get
    from membrane.decisions.services import Interaction, customer_row, vocabularies

    ruleset = ruleset_get()
    vocab = vocabularies.get()
    now = timezone.now()
    cases = []
    for external_id in rng.sample(external_ids, min(200, len(external_ids))):
        customer = Customer.objects.get(external_id=external_id)
        team, category, channel = rng.choice(ASKS)
        row, _ = customer_row(customer=customer, at=now, interaction=Interaction(team, category, channel))
        consented = customer.has_consent(channel)
        cases.append((row, team, category, channel, vocab.consent[category], consented))
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
        "p99_us": _percentile(timings, 0.99),
        "principles": len(ruleset.principles),
        "matched_per_decision": matched / samples,
    }


def measure_decision_make(*, external_ids: list[str], samples: int, rng: random.Random) -> dict[str, float]:
    """Whole decisions as the API makes them: customer looked up, stage brought up to now, facts, log row."""
    from cxcore.models import Customer
    from membrane.decisions.selectors import customer_for_decision
    from membrane.decisions.services import Interaction, decision_make

    def one() -> float:
        external_id = rng.choice(external_ids)
        interaction = Interaction(*rng.choice(ASKS))
        started = time.perf_counter_ns()
        customer = customer_for_decision(external_id=external_id)
        decision_make(customer=customer, interaction=interaction, asked_by="bench")
        return (time.perf_counter_ns() - started) / 1e6

    for _ in range(50):  # warm: compiled rules, vocabularies, the connection
        one()
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
        cursor.execute("CREATE TABLE bench_commit (id bigserial PRIMARY KEY, at timestamptz NOT NULL)")
        for _ in range(500):
            started = time.perf_counter_ns()
            cursor.execute("INSERT INTO bench_commit (at) VALUES (now())")
            commits.append((time.perf_counter_ns() - started) / 1e6)
    with CaptureQueriesContext(connection) as captured:
        for _ in range(20):
            one()
    queries = len(captured.captured_queries) / 20
    timings = [one() for _ in range(samples)]
    return {
        "median_ms": statistics.median(timings),
        "p99_ms": _percentile(timings, 0.99),
        "queries": queries,
        "round_trip_ms": statistics.median(round_trips),
        "orm_read_ms": statistics.median(orm_reads),
        "commit_ms": statistics.median(commits),
        "examples": [q["sql"][:160] for q in captured.captured_queries[: int(queries) + 1]],
    }


_LUA = """
local customers = {%(customers)s}
local asks = {%(asks)s}
local counter = 0
setup = function(thread)
  counter = counter + 1
  thread:set("id", counter)
end
init = function(args)
  math.randomseed(id * 7919 + %(seed)d)
end
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer %(key)s"
wrk.headers["Content-Type"] = "application/json"
request = function()
  local a = asks[math.random(#asks)]
  local body = string.format('{"customer":"%%s","team":"%%s","category":"%%s","channel":"%%s"}',
    customers[math.random(#customers)], a[1], a[2], a[3])
  return wrk.format("POST", "%(path)s", nil, body)
end
done = function(summary, latency, requests)
  io.write(string.format(
    'WRKJSON {"requests":%%d,"duration_us":%%d,"p50_us":%%d,"p99_us":%%d,"non2xx":%%d,"errors":%%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout))
end
"""


def _cpu_seconds(pids: set[int]) -> dict[int, float]:
    """User + system CPU seconds of each of these processes so far (Linux /proc; gone ones are left out)."""
    tick = os.sysconf("SC_CLK_TCK")
    seconds = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return seconds


def _serving_pids(server: Gunicorn) -> set[int]:
    """gunicorn's workers and the PostgreSQL backends of the scratch database other than this process's."""
    pids: set[int] = set()
    master = server.process.pid
    try:
        for task in os.listdir(f"/proc/{master}/task"):
            with open(f"/proc/{master}/task/{task}/children") as children:
                pids.update(int(pid) for pid in children.read().split())
    except OSError:
        pass
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        pids.update(pid for (pid,) in cursor.fetchall())
    return pids


def run_wrk_measuring_cpu(*, server: Gunicorn, **kwargs) -> dict[str, float]:
    """run_wrk, plus the CPU the serving processes spent per request: a figure that the other load on a
    shared machine disturbs far less than requests/s, since it counts work, not waiting for a core."""
    before = _cpu_seconds(_serving_pids(server))
    result = run_wrk(**kwargs)
    after = _cpu_seconds(_serving_pids(server) | set(before))
    spent = sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())
    result["cpu_us"] = spent / max(result["requests"], 1) * 1e6
    return result


def run_wrk(
    *, port: int, path_: str, key: str, external_ids: list[str], seconds: int, threads: int, connections: int, seed: int
) -> dict[str, float]:
    script = _LUA % {
        "customers": ",".join(json.dumps(e) for e in external_ids),
        "asks": ",".join("{" + ",".join(json.dumps(v) for v in ask) + "}" for ask in ASKS),
        "key": key,
        "path": path_,
        "seed": seed,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as handle:
        handle.write(script)
        handle.flush()
        command = [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            handle.name,
            f"http://127.0.0.1:{port}",
        ]
        finished = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    match = re.search(r"^WRKJSON (.*)$", finished.stdout, re.MULTILINE)
    if finished.returncode != 0 or match is None:
        raise CommandError(f"wrk failed ({finished.returncode}): {finished.stdout[-500:]} {finished.stderr[-500:]}")
    result = json.loads(match.group(1))
    if result["non2xx"]:
        raise CommandError(f"{path_}: {result['non2xx']} answers were not 2xx")
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["p50_ms"] = result["p50_us"] / 1000
    result["p99_ms"] = result["p99_us"] / 1000
    return result


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
        from cxcore.services import api_token_create

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
        from membrane.models.decisions import DecisionLog

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
