"""PostgreSQL restarts under the running app (issue 18, faults): a PostgreSQL of the test's own (initdb on a free
port), migrated, served by a real gunicorn. While it is down every request fails cleanly, a 503 saying why with
Retry-After, at once; once it is back every request succeeds, with nobody restarting the app."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from django.urls import reverse

from bench.load_clients import log_in
from cxcore.views_errors import DATABASE_UNAVAILABLE

from .servers import ROOT, Answer, Processes, app_environment, call

pytestmark = pytest.mark.postgres

PASSWORD = "faults-password-1"
# The cluster's schema, a CX manager to log in as and a token; the token alone on the last line.
SETUP = f"""
from django.core.management import call_command
from cxcore.factories import make_user
from cxcore.services import api_token_create
call_command("migrate", verbosity=0)
make_user("carla", role="cx_manager", team="cx", password="{PASSWORD}")
print(api_token_create(name="faults", scopes=["ingest", "decide", "read"])[1])
"""
CUSTOMER = "merchant-restart"
SIGNAL = {"customer": CUSTOMER, "kind": "purchase", "occurred_at": "2026-11-20T09:00:00+00:00"}
QUESTION = {"customer": CUSTOMER, "team": "marketing_devices", "category": "upsell", "channel": "email"}


class Console:
    """The app as its users reach it: an integration's token and a CX manager's session."""

    def __init__(self, port: int, token: str):
        self.port = port
        self.bearer = {"Authorization": f"Bearer {token}"}
        self.cookie = {"Cookie": log_in(port=port, username="carla", password=PASSWORD)}
        self.sent = 0

    def ingest(self) -> Answer:
        self.sent += 1
        item = {**SIGNAL, "idempotency_key": f"restart-{self.sent}"}
        return call(self.port, "POST", "/api/v1/signals", body={"signals": [item]}, headers=self.bearer)

    def decide(self) -> Answer:
        return call(self.port, "POST", "/api/v1/decisions", body=QUESTION, headers=self.bearer)

    def page(self) -> Answer:
        return call(self.port, "GET", reverse("customer", args=[CUSTOMER]), headers=self.cookie)

    def every_kind(self) -> dict[str, Answer]:
        return {"ingest": self.ingest(), "decide": self.decide(), "page": self.page()}


SUCCESS = {"ingest": 201, "decide": 200, "page": 200}


def test_requests_fail_cleanly_while_postgresql_restarts_and_succeed_after_with_no_manual_step(cluster, tmp_path):
    env = app_environment(database_url=cluster.url(), broker_url="memory://")
    setup = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SETUP], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert setup.returncode == 0, setup.stderr
    token = setup.stdout.strip().splitlines()[-1]
    processes = Processes(tmp_path)
    try:
        console = Console(processes.gunicorn(env), token)
        assert {kind: a.status for kind, a in console.every_kind().items()} == SUCCESS

        # Restarted while nobody asks: each gunicorn worker still holds its connection to the old server,
        # and drops it unasked at its next request.
        cluster.stop()
        cluster.start()
        for _ in range(3):
            assert {kind: a.status for kind, a in console.every_kind().items()} == SUCCESS

        # Down, with requests arriving all along, some in flight as the server shuts down.
        meanwhile: list[Answer] = []
        stop_traffic = threading.Event()

        def traffic() -> None:
            while not stop_traffic.is_set():
                meanwhile.extend(console.every_kind().values())

        thread = threading.Thread(target=traffic)
        thread.start()
        try:
            cluster.stop()
            down = [console.every_kind() for _ in range(2)]
            cluster.start()
            after = [console.every_kind() for _ in range(3)]
        finally:
            stop_traffic.set()
            thread.join(timeout=120)
    finally:
        processes.stop_all()

    for answers in down:
        for kind, answer in answers.items():
            assert answer.status == 503, (kind, answer)
            assert answer.headers["Retry-After"] == "5"
            assert answer.seconds < 5, (kind, answer.seconds)
            if kind == "page":
                html = answer.body.decode()
                assert "The database is not answering" in html and DATABASE_UNAVAILABLE in html
                assert "Traceback" not in html and "OperationalError" not in html
            else:
                assert answer.json() == {"detail": DATABASE_UNAVAILABLE}
    for answers in after:
        assert {kind: a.status for kind, a in answers.items()} == SUCCESS
    statuses = {answer.status for answer in meanwhile}
    assert statuses <= {200, 201, 503} and 503 in statuses, statuses
    assert max(answer.seconds for answer in meanwhile) < 10
    assert "Service Unavailable" in processes.log("gunicorn")  # the traceback is in the log, not the answer
