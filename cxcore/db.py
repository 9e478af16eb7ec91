"""Hot statements: the few run on every API request, compiled once per process and kept prepared.

Two costs dominate a lookup by key on the API's hot path (the bearer token, the decision's
customer), and neither is the database's answer:

- compiling the queryset, each time, cost more than the database's work. A `HotQuery` compiles it
  once per process, with a `Slot` where each request's value goes, and fills the slots in on each
  run. Its rows get what the ORM applies to each column (JSON decoded, SQLite's datetimes parsed).
  `around` puts a query inside a larger statement; `side_by_side` runs several lookups of a row
  each in one round trip. Every read on the hot path is one (the token's lookup, the decision's);
  the one hot write, the decision log's INSERT, runs a statement written once from the model's
  fields on `hot_cursor` directly, as the event-time path's batch reads do for binary loading.
- Django's psycopg 3 backend binds parameters on the client, so every statement is parsed and
  planned anew. `hot_cursor` binds on the server instead, so psycopg prepares a statement once a
  connection has run it `prepare_threshold` times (DATABASES OPTIONS; DB_PREPARE_THRESHOLD in the
  settings). Behind a pooler that cannot carry prepared statements (PgBouncer in transaction mode
  before 1.21, or without max_prepared_statements), set it to none: the statements are then bound
  on the server but never prepared, which every pooler serves. Everything else is as for
  `connection.cursor()`: queries are logged and counted, errors are Django's, an atomic block holds
  them.

The psycopg cursor is kept for the next hot statement on the same connection (per thread, as
Django's connections are): a new one would look up its loaders and dumpers again, which costs more
than the statement's own Python work.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import psycopg
import psycopg._queries
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.db.backends.utils import CursorDebugWrapper
from django.db.models import Model, QuerySet


class _LoggedCursor(CursorDebugWrapper):
    # Django reads a logged statement's text back from psycopg's client-side cursor; a server-bound
    # one is logged (when queries are, as in tests and DEBUG) with its parameters composed in.
    def execute(self, sql, params=None):
        with self.debug_sql(self.db.ops.compose_sql(sql, params)):
            return super(CursorDebugWrapper, self).execute(sql, params)


class _JsonbAsText(psycopg.adapt.Loader):
    # The ORM decodes JSON itself, from the text Django's cursors return; in binary, jsonb is a
    # version byte and then that text.
    format = psycopg.pq.Format.BINARY

    def load(self, data) -> str:
        return bytes(data[1:]).decode()


_kept = threading.local()


class _KeptQuery(psycopg._queries.PostgresQuery):
    # psycopg converts a statement's %s placeholders to $n anew on every run once it is longer than
    # 4,096 characters (it keeps no such conversion, for ORMs' multi-row INSERTs of varying length):
    # the decision's read with its caller's token is longer, and was split again on every request.
    # The hot statements are a handful of fixed texts, so their conversions are kept, a bounded few.
    __slots__ = ()

    def convert(self, query, vars) -> None:
        if vars is None or type(query) is not str:
            return super().convert(query, vars)
        self.query, self._want_formats, self._order, self._parts = _converted(query, self._tx.encoding)
        self.dump(vars)


@functools.lru_cache(maxsize=64)
def _converted(query: str, encoding: str) -> tuple:
    return psycopg._queries._query2pg_nocache(query.encode(encoding), encoding)


class _HotCursor(psycopg.Cursor):
    _query_cls = _KeptQuery


@contextmanager
def hot_cursor(*, binary: bool = False, health_check: bool = True) -> Iterator:
    """`binary` results load in psycopg's C code, datetimes in particular (Django's loader parses them
    from text in Python); they are what the ORM reads, JSON as text included. Without `health_check`,
    the caller's statement itself checks a kept connection (HotQuery.rows) instead of a SELECT 1."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        with db.cursor() as cursor:
            yield cursor
        return
    if health_check:
        db.close_if_health_check_failed()
    db.ensure_connection()
    db.validate_thread_sharing()
    raw = getattr(_kept, "cursor", None)
    if raw is None or raw.connection is not db.connection:
        raw = _kept.cursor = _HotCursor(db.connection)
        raw.adapters.register_loader("jsonb", _JsonbAsText)
    raw.format = psycopg.pq.Format.BINARY if binary else psycopg.pq.Format.TEXT
    yield _LoggedCursor(raw, db) if db.queries_logged else db.make_cursor(raw)


def fast_rows(queryset: QuerySet) -> list[tuple]:
    """A values_list queryset's rows; on PostgreSQL read in binary, so that psycopg's C loaders build the
    datetimes and numbers (Django's own datetime loader, a Python subclass that only re-attaches the
    connection's time zone, UTC, cost more than everything else per row). A JSON column comes as its text."""
    if connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
        return list(queryset.iterator(chunk_size=5000))
    sql, params = queryset.query.sql_with_params()
    with hot_cursor(binary=True) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


class Slot(str):
    """Where a HotQuery's value goes: build the queryset with Slot("name") as a text value (the ORM
    passes text through as it is), and each run fills it in from the keyword argument `name`."""

    __slots__ = ()

    def __new__(cls, name: str) -> Slot:
        return super().__new__(cls, f"\x00{name}\x00")  # never a real value: text columns hold no NUL

    @property
    def name(self) -> str:
        return self[1:-1]


@dataclass(frozen=True, eq=False)  # compared (and cached by) identity: each is built once per process
class HotQuery:
    """A read compiled once per process (see the module docstring); rows come as lists of `names`."""

    sql: str
    params: tuple
    names: tuple[str, ...]
    # (column, converters, expression): what the ORM applies to a column's values
    converters: tuple[tuple[int, tuple, Any], ...] = ()
    parts: tuple[int, ...] = ()  # side_by_side: how many columns each lookup has

    @classmethod
    def of(cls, queryset: QuerySet) -> HotQuery:
        """A values_list queryset compiled; its rows have the columns the ORM selects, in order: the fields,
        then the annotations (whatever order values_list named them in)."""
        query = queryset.query
        compiler = query.get_compiler(DEFAULT_DB_ALIAS)
        sql, params = compiler.as_sql()
        if any(isinstance(param, str) and param[:1] == "\x00" and type(param) is not Slot for param in params):
            raise ValueError("A Slot was turned into plain text by the ORM: only a text value can be a Slot.")
        names = (*query.extra_select, *query.values_select, *query.annotation_select)
        converters = compiler.get_converters([expression for expression, _sql, _alias in compiler.select])
        return cls(
            sql=sql,
            params=tuple(params),
            names=names,
            converters=tuple((i, tuple(funcs), expression) for i, (funcs, expression) in converters.items()),
        )

    def around(self, sql: str, *, names: tuple[str, ...] = (), after: tuple = ()) -> HotQuery:
        """This query as the `{query}` of a larger statement (`sql`) whose columns are this query's and then
        `names`, and whose own parameters (`after`) come after this query's."""
        return replace(self, sql=sql.replace("{query}", self.sql), params=self.params + after, names=self.names + names)

    @classmethod
    def side_by_side(cls, *queries: HotQuery) -> HotQuery:
        """Several lookups of at most one row each in one round trip: one row, holding each query's row
        in turn (its columns null when it finds nothing); `split` cuts it back into theirs."""
        joins = " ".join(f"LEFT JOIN ({query.sql}) AS q{i} ON true" for i, query in enumerate(queries))
        converters, offset = [], 0
        for query in queries:
            converters += [(offset + i, funcs, expression) for i, funcs, expression in query.converters]
            offset += len(query.names)
        return cls(
            sql=f"SELECT {', '.join(f'q{i}.*' for i in range(len(queries)))} FROM (SELECT 1) AS one {joins}",
            params=tuple(param for query in queries for param in query.params),
            names=tuple(name for query in queries for name in query.names),
            converters=tuple(converters),
            parts=tuple(len(query.names) for query in queries),
        )

    def split(self, row: Sequence) -> list[Sequence]:
        """A side_by_side row cut into each lookup's."""
        rows, start = [], 0
        for width in self.parts:
            rows.append(row[start : start + width])
            start += width
        return rows

    def rows(self, **values: Any) -> list[list]:
        params = [values[param.name] if type(param) is Slot else param for param in self.params]
        rows = _read(self.sql, params)
        if not self.converters:
            return [list(row) for row in rows]
        db = connections[DEFAULT_DB_ALIAS]
        converted = []
        for row in rows:
            row = list(row)
            for i, funcs, expression in self.converters:
                value = row[i]
                for func in funcs:
                    value = func(value, expression, db)
                row[i] = value
            converted.append(row)
        return converted

    def first(self, **values: Any) -> list | None:
        rows = self.rows(**values)
        return rows[0] if rows else None


def _read(sql: str, params: list) -> list[tuple]:
    """The rows of a read, which checks the connection a request kept as Django's health check would, without
    the SELECT 1 round trip before it: a connection the server dropped fails the read at once, and the
    read runs again on a new one. Only outside a transaction, where nothing else is lost with it."""
    db = connections[DEFAULT_DB_ALIAS]
    checking = db.vendor == "postgresql" and db.health_check_enabled and not db.health_check_done
    if checking and db.connection is not None and not db.in_atomic_block:
        try:
            with hot_cursor(binary=True, health_check=False) as cursor:
                cursor.execute(sql, params)
                rows = cursor.fetchall()
        except (OperationalError, InterfaceError):
            if db.connection is not None and not (db.connection.closed or db.connection.broken):
                raise
            db.close()
        else:
            db.health_check_done = True
            return rows
    with hot_cursor(binary=True) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def model_columns(model: type[Model]) -> tuple[str, ...]:
    """The fields to select (values_list) for rows that become instances (`instance`), in their order."""
    return tuple(field.attname for field in model._meta.concrete_fields)


def instance(model: type[Model], values: Sequence) -> Model:
    """The instance of a row's model_columns values, as a queryset would have made it."""
    return model.from_db(DEFAULT_DB_ALIAS, None, values)
