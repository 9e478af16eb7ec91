"""`python manage.py bench WHAT`: benchmarks of the quality bars (DESIGN.md section 12).

Each benchmark measures its subject beside a baseline taken in the same run, because the machine
is shared and noisy, and returns one summary dict that the command prints as the last line (JSON).

An app adds benchmarks by defining subclasses of `Benchmark` decorated with `@register` in a module
`<app>/bench.py` or in the modules of a package `<app>/bench/`; `discover()` imports them all.
"""

from __future__ import annotations

import os
import pkgutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from importlib import import_module
from typing import Any, ClassVar

from django.apps import apps
from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection

_registry: dict[str, type[Benchmark]] = {}


class Benchmark:
    name: ClassVar[str]
    help: ClassVar[str] = ""

    def add_arguments(self, parser) -> None:
        """Options of this benchmark (an argparse sub-parser)."""

    def run(self, *, options: dict[str, Any], report: Report) -> dict[str, Any]:
        """Measure, print readable lines through `report`, and return the summary."""
        raise NotImplementedError


def register(cls: type[Benchmark]) -> type[Benchmark]:
    _registry[cls.name] = cls
    return cls


def discover() -> dict[str, type[Benchmark]]:
    """Every registered benchmark, after importing the `bench` module or package of each app."""
    for app in apps.get_app_configs():
        module_name = f"{app.name}.bench"
        try:
            module = import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        for info in pkgutil.iter_modules(getattr(module, "__path__", [])):
            import_module(f"{module_name}.{info.name}")
    return dict(_registry)


class Report:
    """Readable output: lines and aligned tables."""

    def __init__(self, out):
        self.out = out

    def line(self, text: str = "") -> None:
        self.out.write(text)

    def table(self, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        cells = [[str(h) for h in headers]] + [[_cell(value) for value in row] for row in rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
        for n, row in enumerate(cells):
            self.line("  ".join(value.rjust(width) for value, width in zip(row, widths, strict=True)))
            if n == 0:
                self.line("  ".join("-" * width for width in widths))


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def require_postgresql(benchmark: str) -> None:
    if connection.vendor != "postgresql":
        raise CommandError(
            f"bench {benchmark} measures PostgreSQL (the quality bars are set there); this database is "
            f"{connection.vendor}. Run it with DATABASE_URL=postgres://user@host:5432/dbname "
            "after `python manage.py migrate`."
        )


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
