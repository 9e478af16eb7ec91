"""A worker killed with kill -9 in the middle of a full run: the task it held unacknowledged comes back to
the next worker, which finishes the run within a minute of the kill, with nothing lost or counted twice,
on every broker the README names. No beat runs here, so the stalled-run sweep plays no part."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.db import connection
from django.utils import timezone
from kombu import Connection
from kombu import pools as kombu_pools

from config import broker_filesystem, broker_redis
from config.celery import app
from cxcore.models import Customer, Signal
from membrane.models import CustomerStage, EvaluationRun, StageTransition
from membrane.runs.services import evaluation_run_start
from membrane.tasks import reevaluate_all
from tests.faults.servers import wait_for

pytestmark = [pytest.mark.celery, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[1]
# A queue of this test run's own: runs side by side on one machine never take each other's tasks.
QUEUE = f"cxm-killed-{os.getpid()}"
CUSTOMERS, CHUNK = 4000, 100
DAY = dt.timedelta(days=1)


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _filesystem(tmp_path: Path) -> tuple[str, dict]:
    folder = tmp_path / "broker"
    options = broker_filesystem.transport_options(folder)
    for path in options.values():
        if isinstance(path, str):
            Path(path).mkdir(parents=True, exist_ok=True)
    return f"filesystem://{folder}", options


def _redis(tmp_path: Path) -> tuple[str, dict]:
    if not _answers("127.0.0.1", 6379):
        if os.environ.get("CI") == "true":
            pytest.fail("Redis is not reachable at 127.0.0.1:6379, and CI needs the killed-worker test on it")
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    return "redis://127.0.0.1:6379/13", broker_redis.TRANSPORT_OPTIONS


def _rabbitmq(tmp_path: Path) -> tuple[str, dict]:
    if not _answers("127.0.0.1", 5672):
        pytest.skip("RabbitMQ is not reachable at 127.0.0.1:5672 (CI has none)")
    return "amqp://guest:guest@127.0.0.1:5672//", {}


@pytest.fixture(params=[_filesystem, _redis, _rabbitmq], ids=["filesystem", "redis", "rabbitmq"])
def broker(request, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the worker process is tested on PostgreSQL, the production database")
    url, options = request.param(tmp_path)
    previous = app.conf.broker_url, app.conf.broker_transport_options, app.conf.task_default_queue
    _use_broker(url, options, QUEUE)
    try:
        yield url
    finally:
        with Connection(url, transport_options=options) as conn:
            conn.default_channel.queue_delete(QUEUE)
            conn.default_channel.exchange_delete(QUEUE)
        if url.startswith("redis://"):
            _forget_in_redis(url, QUEUE)
        _use_broker(*previous)


def _forget_in_redis(url: str, queue: str) -> None:
    """The queue's bindings, and a copy of its task given back after the queue was deleted."""
    client = redis.Redis.from_url(url)
    client.delete(*client.scan_iter(match=f"*{queue}"), queue)


def _use_broker(url: str, options: dict, queue: str) -> None:
    """Points this process's producer at `url`: the connection pools are built lazily from the settings."""
    kombu_pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.broker_url = url
    app.conf.broker_transport_options = options
    app.conf.task_default_queue = queue


def start_worker(broker_url: str) -> subprocess.Popen:
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "TEST_DATABASE_NAME": db["NAME"],
    }
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    celery = str(Path(sys.executable).with_name("celery"))
    # The solo pool runs the task in the main process: killing it stops the run, as no orphan goes on with it.
    command = [celery, "-A", "config", "worker", "-Q", QUEUE, "--pool=solo", "--loglevel=WARNING"]
    return subprocess.Popen(
        [*command, "--without-heartbeat", "--without-mingle", "--without-gossip"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=open(os.environ.get("CELERY_TEST_LOG", os.devnull), "a"),  # noqa: SIM115
    )


def stop(worker: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, sig)
        worker.wait(timeout=60)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_killed_workers_run_is_finished_by_the_next_worker_within_a_minute(broker):
    now = timezone.now()
    customers = Customer.objects.bulk_create(Customer(external_id=f"w{n:05d}") for n in range(CUSTOMERS))
    Signal.objects.bulk_create(
        Signal(
            customer=customer,
            kind="purchase",
            occurred_at=now - (n % 400) * DAY,
            received_at=now,
            source="test",
            idempotency_key=str(n),
        )
        for n, customer in enumerate(customers)
    )
    run = evaluation_run_start(as_of=now, chunk_size=CHUNK)
    worker = start_worker(broker)
    try:
        reevaluate_all.delay(run.pk)
        wait_for(lambda: EvaluationRun.objects.get(pk=run.pk).chunks_done >= 3, timeout=120, every=0.01)
        os.kill(worker.pid, signal.SIGKILL)  # the main process, as the OOM killer or `kill -9` would
        killed_at = time.monotonic()
        worker.wait(timeout=30)
    finally:
        stop(worker, signal.SIGKILL)
    killed = EvaluationRun.objects.get(pk=run.pk)
    assert killed.outcome == "running" and killed.chunks_done < killed.chunks_total

    worker = start_worker(broker)
    try:
        wait_for(lambda: EvaluationRun.objects.get(pk=run.pk).outcome == "succeeded", timeout=60, every=0.2)
        took = time.monotonic() - killed_at
    finally:
        stop(worker)

    assert took < 60
    done = EvaluationRun.objects.get(pk=run.pk)
    assert (done.chunks_done, done.customers, done.transitions) == (done.chunks_total, CUSTOMERS, CUSTOMERS)
    assert CustomerStage.objects.filter(evaluated_through=now).count() == CUSTOMERS
    assert StageTransition.objects.count() == StageTransition.objects.values("customer").distinct().count()
    print(
        f"\n{broker.split(':')[0]}: killed after {killed.chunks_done} of {killed.chunks_total} chunks, "
        f"finished {took:.1f} s after the kill"
    )
