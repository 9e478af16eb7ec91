"""The benchmarks of `python manage.py bench WHAT` (the quality bars of DESIGN.md section 12).

Each benchmark measures its subject beside a baseline taken in the same run, because the machine
is shared and noisy, and returns one summary dict that the command prints as the last line (JSON).

A benchmark is a subclass of `Benchmark` decorated with `@register` in one of the modules that
BENCHMARK_MODULES names; `discover()` imports them. They live in this app, not in the apps they
measure, so that no app carries measuring code or imports the apps above it to set up a run.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from importlib import import_module
from typing import Any, ClassVar

from django.core.management.base import CommandError
from django.db import connection

BENCHMARK_MODULES = (
    "bench.ingest",
    "bench.reevaluate",
    "bench.decisions",
    "bench.authoring",
    "bench.campaigns",
    "bench.conflicts",
    "bench.search",
    "bench.load",
)

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
    """Every registered benchmark, after importing the modules that define them."""
    for module_name in BENCHMARK_MODULES:
        import_module(module_name)
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


def percentile(values: list[float], q: float) -> float:
    """The value below which a fraction q of `values` lies (the nearest rank); 0 when there are none."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def require_postgresql(benchmark: str) -> None:
    if connection.vendor != "postgresql":
        raise CommandError(
            f"bench {benchmark} measures PostgreSQL (the quality bars are set there); this database is "
            f"{connection.vendor}. Run it with DATABASE_URL=postgres://user@host:5432/dbname "
            "after `python manage.py migrate`."
        )
