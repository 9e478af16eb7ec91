"""The compiled form of a published set of rules, kept per process until the published set changes.

Two sets are published this way: the stage rules (stages/rules.py) and the principles
(decisions/engine.py). Each has a stamp, values of the first row of one query that change whenever
the published set does, in any process: the published stage rules' id, number and publication
time; the latest publish, retire or rollback in the principles' audit. A caller that queries anyway
reads the stamp in the same round trip, as subqueries, and passes it on: the compiled form is then
at hand with no query of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from django.db.models import QuerySet, Subquery

T = TypeVar("T")


class PublishedStamp:
    """The stamp of a published set: `fields` of the first row of `rows()` (a queryset, ordered)."""

    def __init__(self, rows: Callable[[], QuerySet], fields: tuple[str, ...]):
        self._rows = rows
        self.fields = fields

    def subquery(self, field: str) -> Subquery:
        """One field of the stamp, to annotate a caller's query with."""
        return Subquery(self._rows().values(field)[:1])

    def subqueries(self, prefix: str) -> dict[str, Subquery]:
        """`{prefix}{field}` for each field of the stamp, to annotate a caller's query with."""
        return {f"{prefix}{name}": self.subquery(name) for name in self.fields}

    def read(self) -> Any:
        """The stamp now (one query): the fields' values (a stamp of one field: its value); None when no row."""
        rows = self._rows()
        if len(self.fields) == 1:
            return rows.values_list(self.fields[0], flat=True).first()
        return rows.values_list(*self.fields).first()


class CompiledCache(Generic[T]):
    """Compiled forms by key (a stamp, or the identity of a version), the last `kept` put (all when None).

    A read takes no lock (one dict lookup, atomic): the decision path reads it on every request.
    """

    def __init__(self, *, kept: int | None = None):
        self._kept = kept
        self._entries: dict[Hashable, T] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> T | None:
        return self._entries.get(key)

    def put(self, key: Hashable, value: T) -> T:
        with self._lock:
            self._entries.pop(key, None)
            self._entries[key] = value
            while self._kept is not None and len(self._entries) > self._kept:
                del self._entries[next(iter(self._entries))]
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
