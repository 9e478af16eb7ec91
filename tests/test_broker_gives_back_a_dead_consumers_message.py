"""The embedded and Redis brokers (config/broker_*.py): a message taken and not acknowledged stays with its
consumer while that process lives, however long, and comes back to the queue within seconds once it is
killed with kill -9, even while a child it forked (as a prefork pool does) lives on."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from kombu import Connection

from config import broker_filesystem, broker_redis

ROOT = Path(__file__).resolve().parents[1]
QUEUE = f"cxm-lease-{os.getpid()}"
# Redis with a lease this short: a consumer that did not renew it would lose its message within seconds.
LEASE = 2

# Takes one message and holds it, unacknowledged; with "fork", a child forked after taking it lives on.
CONSUMER = """
import json, os, sys, time
import config.celery  # the project's transports
from kombu import Connection
url, options, name, fork = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4] == "fork"
with Connection(url, transport_options=options) as conn:
    queue = conn.SimpleQueue(name)
    message = queue.get(block=True, timeout=30)
    if fork and os.fork() == 0:
        time.sleep(600)
        os._exit(0)
    print(json.dumps(message.payload), flush=True)
    time.sleep(600)
"""


def _filesystem(tmp_path: Path) -> tuple[str, dict, float]:
    folder = tmp_path / "broker"
    options = broker_filesystem.transport_options(folder)
    for path in options.values():
        if isinstance(path, str):
            Path(path).mkdir(parents=True, exist_ok=True)
    return f"filesystem://{folder}", options, broker_filesystem.Channel.reclaim_interval


def _redis(tmp_path: Path) -> tuple[str, dict, float]:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        if os.environ.get("CI") == "true":
            pytest.fail("Redis is not reachable at 127.0.0.1:6379, and CI needs the lease test on it")
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    return "redis://127.0.0.1:6379/13", {**broker_redis.TRANSPORT_OPTIONS, "visibility_timeout": LEASE}, LEASE


@pytest.fixture(params=[_filesystem, _redis], ids=["filesystem", "redis"])
def broker(request, tmp_path):
    url, options, back_within = request.param(tmp_path)
    try:
        with Connection(url, transport_options=options) as conn, conn.SimpleQueue(QUEUE) as queue:
            yield url, options, back_within, queue
    finally:
        with Connection(url, transport_options=options) as conn:
            conn.default_channel.queue_delete(QUEUE)
            conn.default_channel.exchange_delete(QUEUE)
        if url.startswith("redis://"):
            client = redis.Redis.from_url(url)
            client.delete(*client.scan_iter(match=f"*{QUEUE}"), QUEUE)


def _consumer(url: str, options: dict, fork: bool) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CONSUMER, url, json.dumps(options), QUEUE, "fork" if fork else "alone"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _nothing_queued_for(queue, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with pytest.raises(queue.Empty):
            queue.get(block=True, timeout=0.5)


def _first_queued_within(queue, seconds: float):
    # Short waits: kombu's Redis consumer looks for expired leases only when a wait ends with nothing read
    # (a worker's event loop has a timer for it).
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(queue.Empty):
            return queue.get(block=True, timeout=0.5)
    raise AssertionError(f"nothing queued within {seconds} s")


@pytest.mark.celery
@pytest.mark.parametrize("fork", [False, True], ids=["alone", "forked-a-child"])
def test_a_held_message_stays_with_its_consumer_and_comes_back_when_it_is_killed(broker, fork):
    url, options, back_within, queue = broker
    queue.put({"task": "mine"})
    consumer = _consumer(url, options, fork)
    try:
        assert json.loads(consumer.stdout.readline()) == {"task": "mine"}

        # Three times the lease (or the reclaim interval): a live consumer's message is not handed out again.
        _nothing_queued_for(queue, 3 * back_within)

        os.kill(consumer.pid, signal.SIGKILL)
        consumer.wait(timeout=10)
        killed_at = time.monotonic()
        message = _first_queued_within(queue, back_within + 10)
        took = time.monotonic() - killed_at
        message.ack()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(consumer.pid, signal.SIGKILL)  # the forked child too
        consumer.stdout.close()

    assert message.payload == {"task": "mine"}
    assert took < back_within + 10
    _nothing_queued_for(queue, back_within + 1)  # given back once, and acknowledged: gone
