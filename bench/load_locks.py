"""bench load's watch on lock waits: which statements waited for a lock during the load, for how long, and on
whose transaction (a web process's or the Celery worker's), sampled from pg_stat_activity beside the run.

Why: a slow tail is either work or waiting. The 360° page's p99 of 8.6 s (issue 18) was waiting: its view
record's INSERT checks the customer's foreign key, which waits while the worker's batch of changed customers
holds their rows locked, and two waits of that kind hold both gunicorn workers. The report says so at once.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import psycopg

# Every waiting statement with each session it waits for: how long it has waited, the holder's transaction.
WAITS_SQL = """
SELECT w.pid, w.query_start, extract(epoch FROM now() - w.query_start), left(w.query, 300), w.client_port,
       b.pid, b.client_port, extract(epoch FROM now() - b.xact_start), b.state, left(b.query, 300)
FROM pg_stat_activity w
CROSS JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS holder(pid)
JOIN pg_stat_activity b ON b.pid = holder.pid
WHERE w.datname = current_database() AND w.wait_event_type = 'Lock'
"""


@dataclass
class Wait:
    waiter: str  # who waited: "web", "worker", or the session's client port when neither
    statement: str
    seconds: float
    holder: str
    holder_transaction_s: float
    holder_last_statement: str


class LockWatch:
    """Samples the lock waits of the database `dsn` every `every` seconds while the block runs. `processes`
    names the operating-system processes whose sessions the report names ({"web": [pids], ...}), children
    included."""

    def __init__(self, *, dsn: str, processes: dict[str, list[int]], every: float = 0.2):
        self.dsn = dsn
        self.processes = processes
        self.every = every
        self.waits: dict[tuple[int, dt.datetime], Wait] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="lock-watch", daemon=True)
        self._ports: dict[int, str] = {}

    def __enter__(self) -> LockWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _watch(self) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as db:
            while not self._stop.wait(self.every):
                for row in db.execute(WAITS_SQL).fetchall():
                    self._seen(*row)

    def _seen(self, pid, started, seconds, statement, port, _holder_pid, holder_port, held, state, last) -> None:
        if started is None:
            return
        key = (pid, started)
        known = self.waits.get(key)
        if known is not None and known.seconds >= float(seconds):
            return
        last_statement = f"{state}: {' '.join((last or '').split())}"
        if known is not None and _ending(state, last):
            # A sample that catches the holder committing says only that the wait is ending: what the holder did
            # while it held the lock is the statement seen before.
            last_statement = known.holder_last_statement
        self.waits[key] = Wait(
            waiter=self._who(port),
            statement=" ".join(statement.split()),
            seconds=float(seconds),
            holder=self._who(holder_port),
            holder_transaction_s=float(held or 0),
            holder_last_statement=last_statement,
        )

    def _who(self, port: int | None) -> str:
        if port is None:
            return "a session over a socket"
        if port not in self._ports:
            self._ports = _ports_of(self.processes)
        return self._ports.get(port, f"port {port}")

    def summary(self) -> dict:
        """The waits of at least `every` (shorter ones are seen by chance), the longest first."""
        waits = sorted(self.waits.values(), key=lambda wait: wait.seconds, reverse=True)
        longest = waits[0] if waits else None
        by_statement: dict[str, int] = {}
        for wait in waits:
            head = wait.statement.split(" (")[0][:60]
            by_statement[head] = by_statement.get(head, 0) + 1
        return {
            "lock_waits": len(waits),
            "lock_wait_max_s": round(longest.seconds, 1) if longest else 0.0,
            "lock_waits_by_statement": by_statement,
            "lock_wait_longest": longest.__dict__ if longest else None,
        }


def _ending(state: str | None, statement: str | None) -> bool:
    """Whether the holder is ending its transaction (COMMIT, ROLLBACK, END), which releases the lock."""
    words = (statement or "").split()
    return state == "active" and bool(words) and words[0].rstrip(";").upper() in {"COMMIT", "ROLLBACK", "END", "ABORT"}


def _ports_of(processes: dict[str, list[int]]) -> dict[int, str]:
    """Local TCP port -> name, for the sockets the named processes and their children hold (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    inodes: dict[str, str] = {}
    for name, pids in processes.items():
        pending = list(pids)
        while pending:
            pid = pending.pop()
            pending += children.get(pid, [])
            for link in _links(pid):
                if link.startswith("socket:["):
                    inodes[link[8:-1]] = name
    ports: dict[int, str] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[9] in inodes:
                ports[int(fields[1].rsplit(":", 1)[1], 16)] = inodes[fields[9]]
    return ports


def _links(pid: int) -> list[str]:
    """What the process's file descriptors point at; one closed meanwhile (the listing's own) is left out."""
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return []
    links = []
    for fd in fds:
        try:
            links.append(os.readlink(fd))
        except OSError:
            continue
    return links


def dsn_of(settings_dict: dict) -> str:
    """A libpq connection string for the database Django's `settings_dict` names."""
    parts = {
        "dbname": settings_dict["NAME"],
        "user": settings_dict["USER"],
        "password": settings_dict["PASSWORD"],
        "host": settings_dict["HOST"] or "127.0.0.1",
        "port": settings_dict["PORT"] or 5432,
    }
    return " ".join(f"{key}='{value}'" for key, value in parts.items() if value not in ("", None))
