"""bench decisions under load: wrk POSTing decisions to a real gunicorn, and the CPU its processes spent."""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import subprocess
import tempfile
import time
from collections.abc import Callable

from django.core.management.base import CommandError
from django.db import connection

from .decisions_population import ASKS
from .server import Gunicorn

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


def api_decisions_timed(
    *,
    port: int,
    key: str,
    path_: str,
    external_id: str,
    samples: int,
    rng: random.Random,
    before: Callable[[str], None] | None = None,
) -> list[float]:
    """Milliseconds of `samples` requests about one customer, one at a time on one kept-alive connection (the
    latency of a decision about that customer, not the server's throughput); `before` runs untimed before
    each (a new signal for the customer)."""
    connection_ = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    timings = []
    try:
        for _ in range(samples):
            team, category, channel = rng.choice(ASKS)
            body = json.dumps({"customer": external_id, "team": team, "category": category, "channel": channel})
            if before is not None:
                before(external_id)
            started = time.perf_counter_ns()
            connection_.request("POST", path_, body=body, headers=headers)
            response = connection_.getresponse()
            answer = response.read()
            timings.append((time.perf_counter_ns() - started) / 1e6)
            if response.status != 200:
                raise CommandError(f"{path_} about {external_id}: {response.status} {answer[:300]!r}")
    finally:
        connection_.close()
    return timings
