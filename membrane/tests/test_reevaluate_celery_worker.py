"""A real Celery worker re-evaluates: ingest alone brings a customer to crisis; a full run whose worker was killed
is found by beat's sweep and finished."""

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
from django.conf import settings
from django.db import connection
from django.utils import timezone
from kombu import pools as kombu_pools

from config.celery import app
from cxcore.models import Customer, Signal
from membrane.models import CustomerStage, EvaluationRun, StageTransition
from membrane.runs.services import evaluation_run_start
from membrane.runs.stalled import evaluation_runs_resume_stalled
from membrane.tasks import reevaluate_all

from .stage_helpers import DAY, ticket

pytestmark = [pytest.mark.celery, pytest.mark.postgres]

REDIS = ("127.0.0.1", 6379)
BROKER = "redis://127.0.0.1:6379/13"
# A queue of this test run's own: two runs on one machine (developers in parallel) never take each
# other's tasks, and neither has to empty the other's.
QUEUE = f"cxm-test-{os.getpid()}"
ROOT = Path(__file__).resolve().parents[2]


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def broker():
    if connection.vendor != "postgresql":
        pytest.skip("the worker process is tested on PostgreSQL, the production database")
    if not _redis_reachable():
        if os.environ.get("CI") == "true":
            pytest.fail("Redis is not reachable at 127.0.0.1:6379, and CI needs the Celery worker test")
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    import redis

    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = QUEUE
    previous = app.conf.broker_url
    _use_broker(BROKER)
    yield BROKER
    _use_broker(previous)
    app.conf.task_default_queue = previous_queue
    redis.Redis.from_url(BROKER).delete(QUEUE)


def _use_broker(url: str) -> None:
    """Points this process's producer at `url`: the connection pools are built lazily from broker_url."""
    kombu_pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.broker_url = url


def start_worker() -> subprocess.Popen:
    settings = connection.settings_dict
    host, port = settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    url = f"postgres://{settings['USER']}@{host}:{port}/{settings['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "CELERY_BROKER_URL": BROKER, "TEST_DATABASE_NAME": settings["NAME"]}
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    celery = str(Path(sys.executable).with_name("celery"))
    return subprocess.Popen(
        [celery, "-A", "config", "worker", "-Q", QUEUE, "--pool=solo", "--loglevel=WARNING", "--without-heartbeat"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=open(os.environ.get("CELERY_TEST_LOG", os.devnull), "a"),  # noqa: SIM115
    )


def stop(worker: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, sig)
        worker.wait(timeout=30)


def wait_for(condition, timeout: float = 60.0, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("timed out waiting for the worker")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_ingested_ticket_brings_the_customer_to_crisis_with_no_manual_step(broker):
    worker = start_worker()
    try:
        opened = timezone.now() - 2 * DAY
        ticket("merchant", "T1", opened)

        state = wait_for(lambda: CustomerStage.objects.filter(customer__external_id="merchant", stage="crisis").first())

        assert state.since == opened
        assert not Customer.objects.filter(dirty_since__isnull=False).exists()
    finally:
        stop(worker)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_full_run_killed_midway_and_run_again_loses_and_duplicates_nothing(broker):
    now = timezone.now()
    customers = Customer.objects.bulk_create(Customer(external_id=f"k{n:05d}") for n in range(20_000))
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
    run = evaluation_run_start(as_of=now, chunk_size=200)
    worker = start_worker()
    try:
        reevaluate_all.delay(run.pk)
        wait_for(lambda: EvaluationRun.objects.get(pk=run.pk).chunks_done >= 3, every=0.01)
        stop(worker, signal.SIGKILL)
    finally:
        stop(worker)
    killed = EvaluationRun.objects.get(pk=run.pk)
    assert killed.outcome == "running" and killed.chunks_done < killed.chunks_total

    worker = start_worker()
    try:
        # Beat's sweep, once the run has been silent for longer than RUN_STALLED_AFTER_SECONDS.
        later = killed.last_seen_at + dt.timedelta(seconds=settings.RUN_STALLED_AFTER_SECONDS + 1)
        assert evaluation_runs_resume_stalled(now=later) == ([run.pk], [])
        wait_for(lambda: EvaluationRun.objects.get(pk=run.pk).outcome == "succeeded")
    finally:
        stop(worker)

    done = EvaluationRun.objects.get(pk=run.pk)
    assert (done.chunks_done, done.customers, done.transitions) == (done.chunks_total, 20_000, 20_000)
    assert CustomerStage.objects.filter(evaluated_through=now).count() == 20_000
    per_customer = StageTransition.objects.values("customer").distinct().count()
    assert StageTransition.objects.count() == per_customer == 20_000
    assert set(CustomerStage.objects.values_list("stage", flat=True)) == {"active", "dormant"}
