"""Servers the fault tests start, stop and start again themselves: a Redis broker and a PostgreSQL of their own
(each on a free loopback port, in a temporary folder), and the app against them as it runs in production, a
gunicorn, a Celery worker and beat in processes of their own."""

from __future__ import annotations

import glob
import http.client
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.server import free_port

ROOT = Path(__file__).resolve().parents[2]


def unavailable(why: str):
    """A server the test needs cannot run here: skipped, except under CI, which must run every fault test."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{why}, and CI needs the fault tests")
    pytest.skip(why)


def needed(binary: str) -> str:
    """The path of a server's binary (Debian keeps PostgreSQL's out of PATH, by version: the newest)."""
    packaged = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{binary}"), key=lambda path: int(path.split("/")[4]))
    found = shutil.which(binary) or (packaged[-1] if packaged else None)
    if not found:
        unavailable(f"{binary} is not installed")
    return found


def _postgres_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        unavailable("PostgreSQL refuses to run as root, and there is no postgres user to run it as")


def wait_for(condition, *, timeout: float, every: float = 0.1, what: str = "a condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


class RedisServer:
    """A redis-server of the test's own, with nothing persisted: once killed and started again it is empty, as a
    broker that crashed and lost its queue."""

    def __init__(self, folder: Path):
        self.binary = needed("redis-server")
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        command += ["--dir", str(self.folder), "--logfile", str(self.folder / "redis.log")]
        self.process = subprocess.Popen(command, start_new_session=True)
        wait_for(lambda: listening(self.port), timeout=15, what="redis-server to listen")

    def kill(self) -> None:
        """Gone at once, as a crashed server: SIGKILL, nothing saved or flushed."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=15)


class PostgresCluster:
    """A PostgreSQL server of the test's own: initdb into a temporary folder, started on a free loopback port.

    PostgreSQL refuses to run as root, so under root (CI) every server command runs as the postgres user. Nothing
    is synced to disk: the cluster is thrown away with the test."""

    def __init__(self):
        self.bindir = Path(needed("pg_ctl")).resolve().parent
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="cxm-faults-pg-"))
        self.data = self.folder / "data"
        self.owner = _postgres_user() if os.geteuid() == 0 else None

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *command: str, timeout: float = 60) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.owner else []
        subprocess.run([*prefix, *command], check=True, timeout=timeout, capture_output=True)

    def create(self) -> None:
        if self.owner:
            os.chown(self.folder, self.owner.pw_uid, self.owner.pw_gid)
        initdb = str(self.bindir / "initdb")
        self._run(initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.folder}"
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        log = str(self.folder / "server.log")
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", log, "-o", options, "-w", "-t", "60", "start"
        )

    def stop(self, mode: str = "fast") -> None:
        """`fast`: the sessions are ended and the server shuts down cleanly, as a restart for maintenance does."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop(mode="immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


def app_environment(*, database_url: str, broker_url: str, **extra: str) -> dict[str, str]:
    """The app's environment in production: DEBUG off, a secret key of its own, the database and broker named."""
    env = {**os.environ, "DATABASE_URL": database_url, "CELERY_BROKER_URL": broker_url, "DEBUG": "false"}
    env["SECRET_KEY"] = "faults-" + "k" * 50
    env.pop("CELERY_TASK_ALWAYS_EAGER", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(extra)
    return env


class Processes:
    """The app's processes, each in a session of its own (so stopping one stops its children), their output in
    a log file each that a failing test can read."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.started: list[subprocess.Popen] = []

    def start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
        with open(self.folder / f"{name}.log", "a") as log:
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
        self.started.append(process)
        return process

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def gunicorn(self, env: dict[str, str], *, workers: int = 2) -> int:
        port = free_port()
        command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", str(workers)]
        command += ["--bind", f"127.0.0.1:{port}", "--timeout", "60"]
        process = self.start("gunicorn", command, env)
        wait_for(lambda: process.poll() is not None or listening(port), timeout=60, what="gunicorn to listen")
        assert process.poll() is None, self.log("gunicorn")
        return port

    def celery(self, name: str, arguments: list[str], env: dict[str, str]) -> subprocess.Popen:
        celery = str(Path(sys.executable).with_name("celery"))
        return self.start(name, [celery, "-A", "config", *arguments, "--loglevel=INFO"], env)

    def stop_all(self) -> None:
        for process in reversed(self.started):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@dataclass(frozen=True)
class Answer:
    status: int | str  # the HTTP status, or the connection error's name
    seconds: float
    body: bytes
    headers: dict[str, str]

    def json(self):
        return json.loads(self.body)


def call(port: int, method: str, path: str, *, body=None, headers: dict[str, str] | None = None) -> Answer:
    """One request on a connection of its own; a connection error is an answer too (its name as the status)."""
    payload = json.dumps(body).encode() if body is not None else None
    headers = {**({"Content-Type": "application/json"} if payload else {}), **(headers or {})}
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        content = response.read()
        return Answer(response.status, time.monotonic() - started, content, dict(response.getheaders()))
    except OSError as error:
        return Answer(type(error).__name__, time.monotonic() - started, b"", {})
    finally:
        connection.close()
