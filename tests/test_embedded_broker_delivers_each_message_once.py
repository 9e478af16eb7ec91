"""The embedded broker (config/broker_filesystem.py) under contention: consumers in several processes, each
with two threads, taking, acknowledging and looking for dead workers' messages all at once, receive every
message exactly once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from kombu import Connection

from config import broker_filesystem

ROOT = Path(__file__).resolve().parents[1]
QUEUE = "contended"
MESSAGES, PROCESSES = 400, 3

# Consumes until the queue stays empty for a few seconds; prints the number of each message it acknowledged.
CONSUMER = """
import json, sys, threading, time
import config.celery  # the project's transports
from kombu import Connection
url, options, name = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
seen = []
connected = threading.Barrier(3)  # both threads, each with its queue open, and this one

def consume():
    with Connection(url, transport_options=options) as conn, conn.SimpleQueue(name) as queue:
        connected.wait()
        while True:
            try:
                message = queue.get(block=True, timeout=4)
            except queue.Empty:
                return
            seen.append(message.payload["n"])
            message.ack()
            # kombu polls an empty queue once a second: a consumer that has just found it empty must still find
            # messages left when it looks again, so one consumer alone would take 2 s to drain them all.
            time.sleep(0.01)

threads = [threading.Thread(target=consume) for _ in range(2)]
for thread in threads:
    thread.start()
connected.wait()
print("ready", flush=True)
for thread in threads:
    thread.join()
print(json.dumps(seen))
"""


def test_every_message_is_received_once_by_contending_consumers(tmp_path):
    folder = tmp_path / "broker"
    options = broker_filesystem.transport_options(folder)
    for path in options.values():
        if isinstance(path, str):
            Path(path).mkdir(parents=True, exist_ok=True)
    url = f"filesystem://{folder}"
    with Connection(url, transport_options=options) as conn, conn.SimpleQueue(QUEUE) as queue:
        consumers = [
            subprocess.Popen(
                [sys.executable, "-c", CONSUMER, url, json.dumps(options), QUEUE],
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(PROCESSES)
        ]
        # Every consumer is up before the first message: one that started early no longer takes them all.
        assert [consumer.stdout.readline().strip() for consumer in consumers] == ["ready"] * PROCESSES
        for n in range(MESSAGES):
            queue.put({"n": n})
        received = [json.loads(consumer.communicate(timeout=120)[0]) for consumer in consumers]

    every = sorted(n for seen in received for n in seen)
    assert every == list(range(MESSAGES))
    assert sum(1 for seen in received if seen) > 1  # they did contend
    assert not os.listdir(options["processing_folder"])
