"""How an ingested batch reaches the tables: its customers' ids (unknown ones created) and its signals.

PostgreSQL takes the rows by COPY (through a stage table and ON CONFLICT when the batch holds keys
already stored); any other database skips the stored keys and inserts the rest in bulk. Each way
returns (customer id, occurred_at) of the signals it stored.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from .models import Customer, Signal

# The columns the ingest writes per signal, in the order of its rows (occurred_at and received_at
# side by side: the COPY replaces both with their text).
INGEST_COLUMNS = (
    "customer_id",
    "kind",
    "direction",
    "channel",
    "team",
    "category",
    "occurred_at",
    "received_at",
    "ticket_ref",
    "issue_key",
    "severity",
    "eta",
    "amount",
    "score",
    "scale",
    "payload",
    "source",
    "idempotency_key",
)
_OCCURRED_AT = INGEST_COLUMNS.index("occurred_at")
_RECEIVED_AT = INGEST_COLUMNS.index("received_at")
_AFTER_RECEIVED = _RECEIVED_AT + 1
_SOURCE = INGEST_COLUMNS.index("source")
_KEY = INGEST_COLUMNS.index("idempotency_key")


def signal_row(external_id: str, clean: dict[str, Any], received_at: dt.datetime) -> tuple:
    """A validated item as a row of INGEST_COLUMNS, its customer still named by external id."""
    get = clean.get
    return (
        external_id,
        clean["kind"],
        get("direction", "in"),
        get("channel", ""),
        get("team", ""),
        get("category", ""),
        clean["occurred_at"],
        received_at,
        get("ticket_ref", ""),
        get("issue_key", ""),
        get("severity", ""),
        get("eta"),
        get("amount"),
        get("score"),
        get("scale"),
        get("payload", "{}"),  # validated and encoded by the schema
        clean["source"],
        clean["idempotency_key"],
    )


def customer_ids_for(external_ids: Sequence[str]) -> dict[str, int]:
    """Ids of the customers, creating the unknown ones (in a stable order, for concurrent batches).

    No customer row is locked: the batch only appends (signals and CustomerChange rows), so
    concurrent batches sharing customers do not wait for each other. The signals' foreign key
    share-locks each customer during the commit only, so two batches make a MultiXact of a row
    just when their commits overlap, where a lock held from the start of the batch would make one
    for every shared row.
    """
    if connection.vendor == "postgresql":
        return _customer_ids_postgresql(external_ids)
    ids = dict(Customer.objects.filter(external_id__in=external_ids).values_list("external_id", "id"))
    missing = [external_id for external_id in external_ids if external_id not in ids]
    if missing:
        Customer.objects.bulk_create([Customer(external_id=e) for e in missing], ignore_conflicts=True)
        ids.update(Customer.objects.filter(external_id__in=missing).values_list("external_id", "id"))
    return ids


def _customer_ids_postgresql(external_ids: Sequence[str]) -> dict[str, int]:
    """The known customers in one statement (the common case); then the unknown ones are created."""
    customer_table = Customer._meta.db_table
    # The ids travel as one JSON array: psycopg quotes a text[] element by element, which cost
    # more than the lookup itself; the ORM would compile 1000 placeholders.
    lookup = f"""SELECT external_id, id FROM {customer_table}
        WHERE external_id IN (SELECT jsonb_array_elements_text(%s::jsonb))"""
    with connection.cursor() as cursor:
        cursor.execute(lookup, [json.dumps(external_ids)])
        ids = dict(cursor.fetchall())
        missing = [external_id for external_id in external_ids if external_id not in ids]
        if not missing:
            return ids
        defaults = _customer_defaults()
        # Sorted inserts: batches creating the same customers wait on each other, never deadlock.
        cursor.execute(
            f"""
            INSERT INTO {customer_table} (external_id, {", ".join(defaults)})
            SELECT e, {", ".join(["%s"] * len(defaults))} FROM jsonb_array_elements_text(%s::jsonb) AS e
            ORDER BY e COLLATE "C"
            ON CONFLICT (external_id) DO NOTHING
            """,
            [*defaults.values(), json.dumps(missing)],
        )
        # A new statement sees the customers a concurrent batch created meanwhile (ON CONFLICT
        # waited for it to commit) as well as ours.
        cursor.execute(lookup, [json.dumps(missing)])
        ids.update(cursor.fetchall())
    return ids


def _customer_defaults() -> dict[str, Any]:
    """Column -> database value of a new customer's fields, from the model (as Customer(...) would
    fill them), so that creating customers in SQL follows the model when a field is added."""
    now = timezone.now()
    values = {}
    for field in Customer._meta.concrete_fields:
        if field.primary_key or field.generated or field.name in ("external_id", "dirty_since"):
            continue
        stamped = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        value = now if stamped else field.get_default()
        values[field.column] = field.get_db_prep_save(value, connection)
    return values


def signals_insert(rows: list[tuple]) -> list[tuple[int, dt.datetime]]:
    """Store the rows (INGEST_COLUMNS, customers by id) but those whose (source, key) is stored already;
    returns (customer id, occurred_at) of the signals stored."""
    if connection.vendor == "postgresql":
        return _signals_insert_postgresql(rows)
    return _signals_insert_portable(rows)


def _signals_insert_postgresql(rows: list[tuple]) -> list[tuple[int, dt.datetime]]:
    """COPY the rows straight into the table, in a savepoint.

    A COPY is the cheapest way in, and a batch of new signals (the common case) needs nothing else.
    A key already stored (a retry, or a concurrent batch with the same keys) makes it fail: then the
    batch goes through the stage table and ON CONFLICT DO NOTHING, which stores only the new ones.
    Looking the keys up first would cost every batch what only a retry needs.
    """
    # psycopg formats a datetime several times slower than isoformat() does; received_at is one time.
    received_at = rows[0][_RECEIVED_AT].isoformat()
    try:
        with (
            transaction.atomic(),
            connection.wrap_database_errors,
            connection.cursor() as cursor,
            cursor.copy(f"COPY {Signal._meta.db_table} ({', '.join(INGEST_COLUMNS)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(
                    (*row[:_OCCURRED_AT], row[_OCCURRED_AT].isoformat(), received_at, *row[_AFTER_RECEIVED:])
                )
        return [(row[0], row[_OCCURRED_AT]) for row in rows]
    except IntegrityError:
        return _signals_insert_on_conflict(rows)


_STAGE_TABLE = "cxcore_signal_ingest"
_STAGE_DDL = f"""
CREATE TEMP TABLE IF NOT EXISTS {_STAGE_TABLE} (
    customer_id bigint, kind text, direction text, channel text, team text, category text,
    occurred_at timestamptz, received_at timestamptz, ticket_ref text, issue_key text, severity text,
    eta timestamptz, amount numeric, score numeric, scale smallint, payload jsonb, source text,
    idempotency_key text
) ON COMMIT DELETE ROWS
"""


def _signals_insert_on_conflict(rows: list[tuple]) -> list[tuple[int, dt.datetime]]:
    """COPY into a session-local stage table, then one INSERT ... ON CONFLICT DO NOTHING.

    The order is bytewise (COLLATE "C"), as the rows come: any fixed order keeps concurrent batches
    from deadlocking, and a locale's sort costs milliseconds a batch.
    """
    columns = ", ".join(INGEST_COLUMNS)
    with connection.cursor() as cursor:
        # ON COMMIT DELETE ROWS empties it between transactions; inside an outer transaction
        # (tests, callers batching several calls) an earlier call's rows may still be there.
        cursor.execute(f"{_STAGE_DDL}; DELETE FROM {_STAGE_TABLE}")
        with cursor.copy(f"COPY {_STAGE_TABLE} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"""
            INSERT INTO {Signal._meta.db_table} ({columns})
            SELECT {columns} FROM {_STAGE_TABLE} ORDER BY source COLLATE "C", idempotency_key COLLATE "C"
            ON CONFLICT (source, idempotency_key) DO NOTHING
            RETURNING customer_id, occurred_at
            """
        )
        return cursor.fetchall()


def _signals_insert_portable(rows: list[tuple]) -> list[tuple[int, dt.datetime]]:
    """Any other database (SQLite): skip the keys already stored, then one bulk insert.

    Safe without ON CONFLICT because SQLite transactions here begin IMMEDIATE: one writer at a time.
    """
    by_source: dict[str, list[str]] = {}
    for row in rows:
        by_source.setdefault(row[_SOURCE], []).append(row[_KEY])
    stored: set[tuple[str, str]] = set()
    for source, keys in by_source.items():
        existing = Signal.objects.filter(source=source, idempotency_key__in=keys).values_list(
            "idempotency_key", flat=True
        )
        stored.update((source, key) for key in existing)
    new = [row for row in rows if (row[_SOURCE], row[_KEY]) not in stored]
    signals = []
    for row in new:
        values = dict(zip(INGEST_COLUMNS, row, strict=True))
        values["payload"] = json.loads(values["payload"])
        signals.append(Signal(**values))
    Signal.objects.bulk_create(signals)
    return [(row[0], row[_OCCURRED_AT]) for row in new]
