"""A cursor for hot statements that PostgreSQL may keep prepared.

Django's psycopg 3 backend binds parameters on the client, so every statement is parsed and planned
anew; on a lookup by key that planning costs more than the answer. `hot_cursor` binds on the server
instead, for the few statements run on every request, so psycopg prepares them once a connection
has run them `prepare_threshold` times (DATABASES OPTIONS; DB_PREPARE_THRESHOLD in the settings).
Behind a pooler that cannot carry prepared statements (PgBouncer in transaction mode before 1.21,
or without max_prepared_statements), set it to none: the statements are then bound on the server
but never prepared, which every pooler serves. Everything else is as for `connection.cursor()`:
queries are logged and counted, errors are Django's, an atomic block holds them.

The psycopg cursor is kept for the next hot statement on the same connection (per thread, as
Django's connections are): a new one would look up its loaders and dumpers again, which costs
more than the statement's own Python work.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.utils import CursorDebugWrapper
from django.db.models import JSONField, Model


class _LoggedCursor(CursorDebugWrapper):
    # Django reads a logged statement's text back from psycopg's client-side cursor; a server-bound
    # one is logged (when queries are, as in tests and DEBUG) with its parameters composed in.
    def execute(self, sql, params=None):
        with self.debug_sql(self.db.ops.compose_sql(sql, params)):
            return super(CursorDebugWrapper, self).execute(sql, params)


_kept = threading.local()


@contextmanager
def hot_cursor(*, binary: bool = False) -> Iterator:
    """`binary` results load in psycopg's C code, datetimes in particular (Django's loader parses them
    from text in Python), and are what the ORM reads except for JSON, which it expects as text: a
    statement read in binary casts its JSON columns to text."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        with db.cursor() as cursor:
            yield cursor
        return
    import psycopg

    db.close_if_health_check_failed()
    db.ensure_connection()
    db.validate_thread_sharing()
    raw = getattr(_kept, "cursor", None)
    if raw is None or raw.connection is not db.connection:
        raw = _kept.cursor = psycopg.Cursor(db.connection)
    raw.format = psycopg.pq.Format.BINARY if binary else psycopg.pq.Format.TEXT
    yield _LoggedCursor(raw, db) if db.queries_logged else db.make_cursor(raw)


class RowModel:
    """Model instances from rows that start with the model's concrete fields, in their order.

    For a hot statement's rows: the values get what the ORM applies to the columns (JSON decoded
    from text, for one), as a queryset would, without a queryset's per-query compiling.
    """

    def __init__(self, model: type[Model]):
        db = connections[DEFAULT_DB_ALIAS]
        self.model = model
        self.fields = model._meta.concrete_fields
        self.converted = []
        for i, field in enumerate(self.fields):
            col = field.get_col(model._meta.db_table)
            converters = db.ops.get_db_converters(col) + col.get_db_converters(db)
            if converters:
                self.converted.append((i, col, converters))

    def columns(self, alias: str, *, binary: bool) -> list[str]:
        """The select list; read in binary (see hot_cursor), JSON comes as text."""
        quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
        return [
            f"{alias}.{quote(f.column)}{'::text' if binary and isinstance(f, JSONField) else ''}" for f in self.fields
        ]

    def instance(self, row: Sequence) -> Model:
        db = connections[DEFAULT_DB_ALIAS]
        values = list(row[: len(self.fields)])
        for i, col, converters in self.converted:
            for converter in converters:
                values[i] = converter(values[i], col, db)
        return self.model.from_db(DEFAULT_DB_ALIAS, None, values)
