"""Issue 18's production run: `bin/console` with the environment alone (the README's "Production run") starts
two gunicorn processes, a Celery worker with two processes and beat on a PostgreSQL database of their own and
Redis, DEBUG off, the production settings behind a TLS proxy, and the reference story is told through it over
HTTP (DESIGN.md section 13): the merchant's terminal breaks (signals through the API with a token), the worker
re-evaluates, the decision API suppresses marketing and the survey, an agent logs in and sees crisis on the
360° page, records the ETA, the survey turns allowed; the fix arrives and the merchant is at risk, an upsell
allowed again. Only the PostgreSQL leg runs it; under CI=true a missing Redis fails it."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import re
import secrets
import signal
import socket
import subprocess
import tempfile
import zoneinfo
from pathlib import Path

import psycopg
import pytest
import redis
from django.db import connection

from tests.faults.servers import wait_for
from tests.production_stack_http import Client, by_testid
from tests.test_production_settings import PRODUCTION

pytestmark = [pytest.mark.postgres, pytest.mark.celery]

ROOT = Path(__file__).resolve().parents[1]
REDIS = "redis://127.0.0.1:6379"
# Redis databases of this test alone: the broker and the shared cache (rate limits across web processes).
BROKER_DB, CACHE_DB = 9, 10
HOST = PRODUCTION["ALLOWED_HOSTS"]
MERCHANT = "merchant-terminal-7"
TICKET = f"{MERCHANT}-T5"
# Deadlines that detect a stack that never comes up or a worker that never works, not performance targets:
# about 35 s to start and a few seconds per re-evaluation here, several times that on a loaded machine.
STARTUP_SECONDS = 150
WORKER_SECONDS = 60


def _redis_or_skip() -> None:
    try:
        redis.Redis.from_url(f"{REDIS}/{BROKER_DB}", socket_connect_timeout=1).ping()
    except redis.RedisError:
        if os.environ.get("CI") == "true":
            pytest.fail("Redis is not reachable at 127.0.0.1:6379, and CI needs the production run")
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Stack:
    """bin/console on a database of its own, as the README's production run starts it; stopped as Ctrl-C does."""

    def __init__(self, folder: Path):
        db = connection.settings_dict
        self.server = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        self.name = f"{db['NAME']}_prodrun_{os.getpid()}"
        self.url = f"{self.server}/{self.name}"
        self.folder = folder
        self.port = _free_port()
        self.process: subprocess.Popen | None = None

    def environment(self) -> dict[str, str]:
        # The suite's own settings stay out: the stack gets the environment a production host would have.
        left_out = {
            "CELERY_TASK_ALWAYS_EAGER",
            "TEST_DATABASE_NAME",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            "DJANGO_SETTINGS_MODULE",
        }
        env = {key: value for key, value in os.environ.items() if key not in left_out and not key.startswith("PYTEST")}
        env.update(PRODUCTION)
        env.update(
            DATABASE_URL=self.url,
            CELERY_BROKER_URL=f"{REDIS}/{BROKER_DB}",
            CACHE_URL=f"{REDIS}/{CACHE_DB}",
            SECRET_KEY=secrets.token_urlsafe(50),
            PORT=str(self.port),
            WEB_WORKERS="2",
            WORKER_CONCURRENCY="2",
            REEVALUATE_EVERY_SECONDS="5",
            LOG_DIR=str(self.folder),
            DEMO_CUSTOMERS="0",  # the demo users and the reference merchants; this story's merchant is new
        )
        return env

    def start(self) -> list[str]:
        """Starts bin/console and returns what it printed once web, worker and beat run."""
        with psycopg.connect(f"{self.server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{self.name}"')
        out = self.folder / "console.out"
        with open(out, "w") as stdout:
            self.process = subprocess.Popen(
                [str(ROOT / "bin" / "console")],
                cwd=ROOT,
                env=self.environment(),
                stdout=stdout,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        def printed() -> list[str] | None:
            assert self.process.poll() is None, f"bin/console exited:\n{self.logs()}"
            lines = out.read_text().splitlines()
            return lines if any(line.startswith("Logs: ") for line in lines) else None

        return wait_for(printed, timeout=STARTUP_SECONDS, what="bin/console to start web, worker and beat")

    def children(self) -> dict[str, int]:
        """How many processes each command line of the stack runs (gunicorn master + workers, celery...)."""
        counts: dict[str, int] = {}
        for stat in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                command = stat.read_bytes().replace(b"\0", b" ").decode()
                environ = (stat.parent / "environ").read_bytes()
            except OSError:
                continue
            if f"DATABASE_URL={self.url}".encode() not in environ:
                continue
            for name in ("gunicorn config.wsgi", "celery -A config worker", "celery -A config beat"):
                if name in command:
                    counts[name] = counts.get(name, 0) + 1
        return counts

    def logs(self) -> str:
        return "\n".join(
            f"== {path.name}\n{path.read_text()[-3000:]}" for path in sorted(self.folder.glob("*")) if path.is_file()
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # bin/console's trap stops web, worker and beat
            try:
                self.process.wait(timeout=25)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        with psycopg.connect(f"{self.server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def query(self, sql: str, *params):
        """What the stack stored, read beside it: evidence that the worker, not a request, did the work."""
        with psycopg.connect(self.url) as db:
            return db.execute(sql, params).fetchall()

    def stored_stage(self) -> tuple[str, dt.datetime] | None:
        rows = self.query(
            "SELECT cs.stage, cs.since FROM membrane_customerstage cs JOIN cxcore_customer c ON c.id = cs.customer_id"
            " WHERE c.external_id = %s"
            " AND NOT EXISTS (SELECT 1 FROM cxcore_customerchange q WHERE q.customer_id = c.id)",
            MERCHANT,
        )
        return rows[0] if rows else None

    def open_tasks(self) -> set[str]:
        rows = self.query(
            "SELECT t.kind FROM membrane_agenttask t JOIN cxcore_customer c ON c.id = t.customer_id"
            " WHERE c.external_id = %s AND t.status = 'open'",
            MERCHANT,
        )
        return {kind for (kind,) in rows}


@pytest.fixture
def stack(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the production run is PostgreSQL's: it runs on the PostgreSQL leg")
    _redis_or_skip()
    # Two runs on one machine would share the Redis databases: the second waits for the first.
    with open(Path(tempfile.gettempdir()) / f"cxm-production-run-{BROKER_DB}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for db in (BROKER_DB, CACHE_DB):
            redis.Redis.from_url(f"{REDIS}/{db}").flushdb()
        running = Stack(tmp_path)
        try:
            yield running
        finally:
            running.stop()
            print(running.logs())  # pytest shows it when the test failed
            for db in (BROKER_DB, CACHE_DB):
                redis.Redis.from_url(f"{REDIS}/{db}").flushdb()


def event(kind: str, moment: dt.datetime, key: str, **fields) -> dict:
    return {"customer": MERCHANT, "kind": kind, "occurred_at": moment.isoformat(), "idempotency_key": key, **fields}


def ticket(kind: str, moment: dt.datetime, ref: str, **fields) -> dict:
    key = f"{ref}-{kind}"
    return event(kind, moment, key, team="service", ticket_ref=ref, issue_key="terminal", **fields)


def terminal_history(now: dt.datetime) -> list[dict]:
    """The reference merchant's six months (cxcore/demo/reference.py): a service plan paid monthly, four
    connection failures in 90 days, each given an ETA and fixed, a complaint after the fourth."""
    day = dt.timedelta(days=1)
    items = [
        event("purchase", now - 30 * month * day, f"plan-{month}", team="sales", amount="189.00")
        for month in range(6, 0, -1)
    ]
    for n, days_ago in enumerate([82, 61, 43, 24], start=1):
        opened, ref = now - days_ago * day, f"{MERCHANT}-T{n}"
        items += [
            ticket("ticket_opened", opened, ref, severity="high"),
            ticket("ticket_eta_given", opened + day / 8, ref, eta=(opened + 2 * day).isoformat()),
            ticket("ticket_resolved", opened + 2.2 * day, ref),
        ]
    items.append(event("complaint", now - 23 * day, "complaint-1", team="service", payload={"text": "Again."}))
    return items


def decide(api: Client, team: str, category: str, channel: str = "email") -> dict:
    answer = api.post_json(
        "/api/v1/decisions", {"customer": MERCHANT, "team": team, "category": category, "channel": channel}
    )
    assert answer.status == 200, answer.text
    return answer.json()


def test_the_reference_story_through_several_web_processes_and_workers(stack):
    printed = stack.start()
    token = printed[-2] if printed[-2].startswith("cxm_") else next(line for line in printed if line.startswith("cxm_"))
    password = re.search(r"password for all: (\S+)\)", "\n".join(printed)).group(1)
    # gunicorn's master and two workers, the worker's main process and two pool processes, beat.
    processes = {"gunicorn config.wsgi": 3, "celery -A config worker": 3, "celery -A config beat": 1}
    wait_for(lambda: stack.children() == processes, timeout=20, what=f"the stack's processes: {processes}")

    api = Client(stack.port, host=HOST, bearer=token)
    now = dt.datetime.now(dt.UTC)
    created = api.put_json(
        f"/api/v1/customers/{MERCHANT}",
        {"name": "Kiosk am Bahnhof (Terminal 7)", "email": "kiosk7@example.com", "phone": "+49 30 7777770",
         "segment": "smb", "timezone": "Europe/Berlin", "consent": {"email": True, "sms": True}},
    )  # fmt: skip
    assert created.status == 201, created.text
    # Behind the TLS proxy: HSTS on every answer, nothing redirected to https.
    assert created.headers["Strict-Transport-Security"].startswith("max-age=31536000")

    history = terminal_history(now)
    sent = api.post_json("/api/v1/signals", {"signals": history})
    assert (sent.status, sent.json()) == (201, {"accepted": len(history), "duplicates": 0})
    resent = api.post_json("/api/v1/signals", {"signals": history})  # a retry, maybe on the other web process
    assert (resent.status, resent.json()) == (201, {"accepted": 0, "duplicates": len(history)})
    assert (
        wait_for(stack.stored_stage, timeout=WORKER_SECONDS, what="the worker to evaluate the history")[0] == "at_risk"
    )

    # The terminal breaks again: a fifth ticket, four days ago and still open, no ETA.
    opened = now - dt.timedelta(days=4, hours=2)
    broke = api.post_json(
        "/api/v1/signals",
        {
            "signals": [
                ticket("ticket_opened", opened, TICKET, severity="high"),
                event("complaint", opened + dt.timedelta(hours=20), "complaint-2", team="service"),
            ]
        },
    )
    assert broke.status == 201, broke.text
    # The worker brings the stored stage to crisis, dated when the ticket opened (event time), and opens the
    # tasks the principles prescribe: before anything reads the customer over HTTP.
    stage, since = wait_for(
        lambda: (stored := stack.stored_stage()) and stored[0] == "crisis" and stored,
        timeout=WORKER_SECONDS,
        what="the worker to bring the merchant to crisis",
    )
    assert since == opened
    assert wait_for(
        lambda: stack.open_tasks() >= {"agent_contact", "offer_free_service"},
        timeout=WORKER_SECONDS,
        what="the worker's actions sync",
    )

    marketing = decide(api, "marketing_devices", "marketing")
    assert (marketing["verdict"], marketing["decided_by"]["principle"]) == ("suppress", "no-offers-in-crisis")
    assert marketing["stage"] == "crisis"
    survey = decide(api, "research", "survey")
    assert (survey["verdict"], survey["decided_by"]["principle"]) == ("suppress", "no-survey-before-eta")
    assert {action["kind"] for action in survey["actions"]} >= {"agent_contact", "offer_free_service"}
    assert decide(api, "service", "service_update", "sms")["verdict"] == "allow"

    # The agent logs in through the form, over "https": the session cookie is secure and HTTP-only.
    agent = Client(stack.port, host=HOST)
    login = agent.get("/login/")
    assert login.status == 200
    signed_in = agent.post_form(
        "/login/",
        {"csrfmiddlewaretoken": login.form_value("csrfmiddlewaretoken"), "username": "anna", "password": password},
    )
    assert signed_in.status == 302, signed_in.text
    assert {"secure", "httponly"} <= agent.cookie_flags("sessionid")

    page = agent.get(f"/customers/{MERCHANT}/")
    assert page.status == 200
    found = by_testid(page.text)
    assert found["stage"][0].text == "crisis"
    assert "open_tickets > 0" in found["stage-history"][0].text
    assert found["may-we-survey-email"][0].attrs["data-verdict"] == "suppress"
    assert "ETA" in found["may-we-survey-email"][0].text
    assert found["may-we-marketing-email"][0].attrs["data-verdict"] == "suppress"
    assert {row.attrs["data-kind"] for row in _open_tasks(found)} >= {"agent_contact", "offer_free_service"}

    # The ETA the agent just gave, in the merchant's time; the survey is allowed at once.
    eta = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).astimezone(zoneinfo.ZoneInfo("Europe/Berlin"))
    recorded = agent.post_form(
        f"/desk/eta/{MERCHANT}/",
        {
            "csrfmiddlewaretoken": page.form_value("csrfmiddlewaretoken"),
            "key": page.form_value("key"),
            "ticket": TICKET,
            "eta": eta.strftime("%Y-%m-%dT%H:%M"),
        },
        headers={"HX-Request": "true"},
    )
    assert recorded.status == 200, recorded.text
    assert f"recorded for ticket {TICKET}" in by_testid(recorded.text)["desk-done"][0].text
    survey = decide(api, "research", "survey")
    assert survey["verdict"] == "allow" and survey["stage"] == "crisis"
    assert decide(api, "marketing_devices", "marketing")["verdict"] == "suppress"  # still in crisis
    again = by_testid(agent.get(f"/customers/{MERCHANT}/").text)
    assert again["may-we-survey-email"][0].attrs["data-verdict"] == "allow"

    # The technician fixes it: the worker sees the merchant at risk of desertion; one hardware upsell a month
    # is allowed, and a monthly service credit prescribed.
    fixed = api.post_json("/api/v1/signals", {"signals": [ticket("ticket_resolved", dt.datetime.now(dt.UTC), TICKET)]})
    assert fixed.status == 201, fixed.text
    wait_for(
        lambda: (stored := stack.stored_stage()) and stored[0] == "at_risk",
        timeout=WORKER_SECONDS,
        what="the worker to see the merchant at risk",
    )
    upsell = decide(api, "marketing_devices", "upsell")
    assert (upsell["verdict"], upsell["decided_by"]["principle"]) == ("allow", "at-risk-hardware-upsell")
    assert "service_credit" in {action["kind"] for action in upsell["actions"]}
    # Beat's first round comes one interval after it started, which a quick story may not have lasted yet.
    wait_for(
        lambda: "Scheduler: Sending due task reevaluate-changed" in (stack.folder / "beat.log").read_text(),
        timeout=WORKER_SECONDS,
        what="beat to send the re-evaluation of the changed customers",
    )
    assert stack.children() == processes  # nothing died on the way


def _open_tasks(found):
    return [element for name, elements in found.items() if name.startswith("open-task-") for element in elements]
