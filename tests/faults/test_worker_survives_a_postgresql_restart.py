"""The Celery worker goes on working after PostgreSQL restarts under it (issue 18, faults), with nobody restarting
it: the tasks beat sends while the database is down fail, and once it is back the next task makes a new
connection and does its work.

A PostgreSQL of the test's own (initdb on a free port), the embedded broker in a folder of the test's, a real
gunicorn, worker and beat."""

from __future__ import annotations

import subprocess
import sys

import psycopg
import pytest

from .servers import ROOT, PostgresCluster, Processes, app_environment, call, wait_for
from .test_postgresql_restarts_under_the_app import SETUP

pytestmark = [pytest.mark.postgres, pytest.mark.celery]

BEAT_EVERY_SECONDS = 3


def ticket(port: int, token: str, customer: str) -> int:
    item = {"customer": customer, "kind": "ticket_opened", "occurred_at": "2026-01-05T09:00:00+00:00"}
    answer = call(port, "POST", "/api/v1/signals", body={"signals": [{**item, "ticket_ref": "T1"}]}, headers=token)
    return answer.status


def stage_of(cluster: PostgresCluster, customer: str) -> str | None:
    """The stored stage (what the worker writes), read as an operator would, on a connection of this test's."""
    try:
        with psycopg.connect(cluster.url(), connect_timeout=3) as db:
            row = db.execute(
                "SELECT s.stage FROM membrane_customerstage s JOIN cxcore_customer c ON c.id = s.customer_id"
                " WHERE c.external_id = %s",
                [customer],
            ).fetchone()
    except psycopg.OperationalError:
        return None
    return row[0] if row else None


def test_the_worker_evaluates_after_postgresql_restarts_without_being_restarted(cluster, tmp_path):
    env = app_environment(
        database_url=cluster.url(),
        broker_url=f"filesystem://{tmp_path / 'broker'}",
        REEVALUATE_EVERY_SECONDS=str(BEAT_EVERY_SECONDS),
    )
    setup = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SETUP], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert setup.returncode == 0, setup.stderr
    token = {"Authorization": f"Bearer {setup.stdout.strip().splitlines()[-1]}"}
    processes = Processes(tmp_path)
    try:
        processes.celery("worker", ["worker", "--pool=solo", "--without-gossip", "--without-mingle"], env)
        processes.celery("beat", ["beat", "--schedule", str(tmp_path / "beat-schedule")], env)
        port = processes.gunicorn(env)
        # A ticket open for more than a day: crisis, once the worker has evaluated the customer.
        assert ticket(port, token, "before") == 201
        wait_for(lambda: stage_of(cluster, "before") == "crisis", timeout=60, what="the worker's first evaluation")

        # Down for a few of beat's rounds: the worker takes their tasks and fails them on the missing database.
        cluster.stop()
        wait_for(
            lambda: "OperationalError" in processes.log("worker"),
            timeout=60,
            what="a task to fail on the stopped database",
        )
        cluster.start()
        assert ticket(port, token, "after-restart") == 201
        wait_for(
            lambda: stage_of(cluster, "after-restart") == "crisis",
            timeout=60,
            what="the worker to evaluate after the restart",
        )
    finally:
        processes.stop_all()
