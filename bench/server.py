"""A real gunicorn serving this project, for the benchmarks that measure the API as it is served."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import CommandError


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """A real gunicorn serving this project on a free loopback port, against the same database."""

    def __init__(self, *, workers: int = 2, threads: int = 1, app: str = "config.wsgi", startup_timeout: float = 30.0):
        self.workers = workers
        self.threads = threads  # more than 1: gunicorn's threaded worker (gthread) instead of sync
        self.app = app
        self.startup_timeout = startup_timeout
        self.port = 0
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        self.port = free_port()
        # The same settings as this process (DATABASE_URL is inherited), minus DEBUG, which keeps
        # every query in memory and would measure the debugging, not the service.
        env = {
            **os.environ,
            "DEBUG": "false",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
            # The rate limits' cost is measured; their limits must not cut the load off.
            "API_RATE_LIMIT": "1000000000/min",
            "API_DECISIONS_RATE_LIMIT": "1000000000/min",
            "API_INGEST_RATE_LIMIT": "1000000000/min",
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings"),
        }
        command = [sys.executable, "-m", "gunicorn", self.app, "--workers", str(self.workers)]
        command += ["--threads", str(self.threads)]
        command += ["--bind", f"127.0.0.1:{self.port}", "--log-level", "warning"]
        self.process = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise CommandError(f"gunicorn exited with code {self.process.returncode} while starting.")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.__exit__(None, None, None)
        raise CommandError(f"gunicorn did not listen on port {self.port} within {self.startup_timeout:.0f} s.")

    def __exit__(self, *exc_info) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
