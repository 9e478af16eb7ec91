"""A real Celery worker for the benchmarks that measure the load it puts on the machine beside them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import redis
from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection

REDIS = ("127.0.0.1", 6379)


def redis_reachable() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1):
            return True
    except OSError:
        return False


class CeleryWorker:
    """`celery -A config worker` on a queue of this run's own, against Redis at 127.0.0.1:6379 and the database
    DATABASE_URL names, with the settings module `settings_module`, which reads the broker and the queue from
    BENCH_CELERY_BROKER_URL and BENCH_CELERY_QUEUE; those are set in this process's environment while the
    worker runs, so a gunicorn started inside the block queues its tasks to it."""

    def __init__(self, *, settings_module: str, redis_db: int = 7, log: str = os.devnull):
        self.settings_module = settings_module
        self.broker = f"redis://{REDIS[0]}:{REDIS[1]}/{redis_db}"
        self.queue = f"cxm-bench-{os.getpid()}"
        self.log = log
        self.process: subprocess.Popen | None = None
        self.saved_env: dict[str, str | None] = {}

    def __enter__(self) -> CeleryWorker:
        if not redis_reachable():
            raise CommandError("this benchmark runs a Celery worker: Redis is not reachable at 127.0.0.1:6379.")
        for key, value in (
            ("BENCH_CELERY_BROKER_URL", self.broker),
            ("BENCH_CELERY_QUEUE", self.queue),
            ("DJANGO_SETTINGS_MODULE", self.settings_module),
        ):
            self.saved_env[key] = os.environ.get(key)
            os.environ[key] = value
        env = {**os.environ}
        env.pop("CELERY_TASK_ALWAYS_EAGER", None)
        celery = str(Path(sys.executable).with_name("celery"))
        command = [celery, "-A", "config", "worker", "-Q", self.queue, "--pool=solo", "--loglevel=WARNING"]
        command += ["--without-heartbeat", "--without-gossip", "--without-mingle"]
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(
                command, cwd=settings.BASE_DIR, env=env, start_new_session=True, stdout=log, stderr=log
            )
        time.sleep(3)  # imports Django and connects; a task queued meanwhile waits in Redis
        if self.process.poll() is not None:
            raise CommandError(f"the Celery worker exited with code {self.process.returncode} while starting.")
        return self

    def cpu_seconds(self) -> float:
        """User + system CPU seconds the worker process has spent so far (Linux /proc)."""
        if self.process is None:
            return 0.0
        try:
            with open(f"/proc/{self.process.pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __exit__(self, *exc_info) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        for key, value in self.saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        # The queue, and the bindings kombu keeps for it beside it.
        broker = redis.Redis.from_url(self.broker)
        broker.delete(self.queue, *broker.scan_iter(match=f"_kombu.binding*{self.queue}"))


def backlog() -> int:
    """Customers with signals not evaluated yet: queued by the ingest, or marked dirty."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT customer_id FROM cxcore_customerchange UNION"
            " SELECT id FROM cxcore_customer WHERE dirty_since IS NOT NULL) waiting"
        )
        return cursor.fetchone()[0]


def wait_for_drain(*, timeout: float) -> tuple[float, int]:
    """Seconds until the worker has evaluated every changed customer, or `timeout`; and how many are left."""
    started = time.perf_counter()
    while left := backlog():
        if time.perf_counter() - started > timeout:
            return time.perf_counter() - started, left
        time.sleep(0.2)
    return time.perf_counter() - started, 0


def drained(*, timeout: float) -> float:
    """Seconds until the worker has evaluated every changed customer (CommandError after `timeout`)."""
    seconds, left = wait_for_drain(timeout=timeout)
    if left:
        raise CommandError(f"the Celery worker left {left:,} customers unevaluated after {timeout:.0f} s")
    return seconds
