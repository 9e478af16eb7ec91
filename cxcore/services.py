"""Writes of cxcore: ingesting signals, upserting customers, creating API tokens."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from . import hooks
from .api_schemas import CUSTOMER_PROFILE, SIGNAL_ITEM, signal_item_clean_fast
from .models import ApiScope, ApiToken, Customer, CustomerChange, Signal
from .schemas import InvalidInput, error, external_id_text, text
from .selectors import earliest_of, vocabulary_keys

logger = logging.getLogger(__name__)

MAX_BATCH = 1000


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    duplicates: int


# The columns written per signal, in the order of the rows built below (occurred_at and received_at
# side by side: the COPY replaces both with their text).
SIGNAL_COLUMNS = (
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
_OCCURRED_AT = SIGNAL_COLUMNS.index("occurred_at")
_RECEIVED_AT = SIGNAL_COLUMNS.index("received_at")
_AFTER_RECEIVED = _RECEIVED_AT + 1
_SOURCE = SIGNAL_COLUMNS.index("source")
_KEY = SIGNAL_COLUMNS.index("idempotency_key")


def signals_ingest(*, items: Any, source: str) -> IngestResult:
    """Store a batch of signals, all or nothing.

    Every item is validated first and every error reported (InvalidInput); a valid batch is stored
    in one transaction. `source` is the sender (an API token's integration): each signal is stored
    with it, and an item naming another source is refused. An item without an idempotency_key gets
    one derived from its content, so a retried batch never stores a signal twice: those the same
    source already stored with the same key, or repeated within the batch, are counted as
    duplicates. Unknown customers are created. Each
    customer with new signals is marked dirty from the earliest of them (a CustomerChange), and
    `hooks.signals_ingested` is sent once the transaction has committed.
    """
    source = text(100)(source)
    rows = _signals_validate(items, source=source)
    received_at = timezone.now()
    unique: dict[tuple[str, str], tuple] = {}
    for external_id, clean in rows:
        row = _signal_row(external_id, clean, received_at)
        unique.setdefault((row[_SOURCE], row[_KEY]), row)
    # A stable order of inserts keeps concurrent batches from deadlocking on the unique index. Python
    # orders strings by code point, as PostgreSQL's COLLATE "C" orders their UTF-8 bytes.
    ordered = [unique[key] for key in sorted(unique)]
    with transaction.atomic():
        customer_ids = _customer_ids_for(sorted({row[0] for row in ordered}))
        ordered = [(customer_ids[row[0]], *row[1:]) for row in ordered]
        if connection.vendor == "postgresql":
            inserted = _signals_insert_postgresql(ordered)
        else:
            inserted = _signals_insert_portable(ordered)
        touched = _customers_mark_changed(inserted)
        if touched:
            transaction.on_commit(functools.partial(_announce, touched))
    return IngestResult(accepted=len(inserted), duplicates=len(rows) - len(inserted))


def _signals_validate(items: Any, *, source: str) -> list[tuple[str, dict[str, Any]]]:
    if not isinstance(items, list):
        raise InvalidInput("'signals' must be a list.", [error(None, "signals", "Must be a list of signals.")])
    if not items:
        raise InvalidInput("The batch is empty.", [error(None, "signals", "Must hold at least one signal.")])
    if len(items) > MAX_BATCH:
        message = f"At most {MAX_BATCH} signals per batch; got {len(items)}."
        raise InvalidInput(message, [error(None, "signals", message)])
    errors: list[dict[str, Any]] = []
    rows = []
    vocabularies = {name: vocabulary_keys(vocabulary=name) for name in ("channel", "team", "category")}
    for index, item in enumerate(items):
        clean = signal_item_clean_fast(item, vocabularies=vocabularies)
        if clean is None:
            clean = SIGNAL_ITEM.validate(item, errors=errors, index=index)
            if clean is None:
                continue
        # The source scopes the idempotency keys: a sender naming another integration could squat
        # its keys (that one's real signals would then be dropped as duplicates), so it is refused.
        if clean.setdefault("source", source) != source:
            errors.append(error(index, "source", f'Must be this integration, "{source}" (or be left out).'))
            continue
        if "idempotency_key" not in clean:
            clean["idempotency_key"] = _derived_key(item)
        rows.append((clean["customer"], clean))
    if errors:
        bad = len({e["index"] for e in errors})
        raise InvalidInput(f"{bad} of {len(items)} signals are invalid; nothing was stored.", errors)
    return rows


# The canonical form of an item whose key is derived from its content (built once, not per item).
_CANONICAL_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _derived_key(item: dict[str, Any]) -> str:
    canonical = _CANONICAL_ENCODER.encode(item)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def _signal_row(external_id: str, clean: dict[str, Any], received_at: dt.datetime) -> tuple:
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


def _customer_ids_for(external_ids: Sequence[str]) -> dict[str, int]:
    """Ids of the customers, creating the unknown ones (in a stable order, for concurrent batches).

    No customer row is locked: the batch only appends (signals and CustomerChange rows), so
    concurrent batches sharing customers do not wait for each other. The signals' foreign key
    share-locks each customer during the commit only, so two batches make a MultiXact of a row
    just when their commits overlap; measured with two concurrent senders, a commit costs what
    it costs alone (a lock held from the start of the batch would make one for every shared row).
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
        if field.primary_key or field.name in ("external_id", "dirty_since"):
            continue
        stamped = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        value = now if stamped else field.get_default()
        values[field.column] = field.get_db_prep_save(value, connection)
    return values


def _signals_insert_postgresql(rows: list[tuple]) -> list[tuple[int, dt.datetime]]:
    """COPY the rows straight into the table, in a savepoint; returns (customer id, occurred_at) of
    the signals stored.

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
            cursor.copy(f"COPY {Signal._meta.db_table} ({', '.join(SIGNAL_COLUMNS)}) FROM STDIN") as copy,
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
    """COPY into a session-local stage table, then one INSERT ... ON CONFLICT DO NOTHING; returns
    (customer id, occurred_at) of the signals it stored.

    The order is bytewise (COLLATE "C"), as the rows come: any fixed order keeps concurrent batches
    from deadlocking, and a locale's sort costs milliseconds a batch.
    """
    columns = ", ".join(SIGNAL_COLUMNS)
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


def _earliest_by_customer(pairs) -> dict[int, dt.datetime]:
    """(customer id, time) pairs -> each customer's earliest time."""
    earliest: dict[int, dt.datetime] = {}
    for customer_id, at in pairs:
        if customer_id not in earliest or at < earliest[customer_id]:
            earliest[customer_id] = at
    return earliest


def _customers_mark_changed(inserted: list[tuple[int, dt.datetime]]) -> list[int]:
    """Queue a change per customer from the earliest of its new signals; returns the customers' ids."""
    earliest = _earliest_by_customer(inserted)
    if not earliest:
        return []
    if connection.vendor == "postgresql":
        # Integers and ISO times need no escaping: the COPY text is written in one piece.
        lines = "".join(f"{customer_id}\t{since.isoformat()}\n" for customer_id, since in earliest.items())
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY {CustomerChange._meta.db_table} (customer_id, since) FROM STDIN") as copy,
        ):
            copy.write(lines)
    else:
        CustomerChange.objects.bulk_create([CustomerChange(customer_id=c, since=s) for c, s in earliest.items()])
    return sorted(earliest)


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
        values = dict(zip(SIGNAL_COLUMNS, row, strict=True))
        values["payload"] = json.loads(values["payload"])
        signals.append(Signal(**values))
    Signal.objects.bulk_create(signals)
    return [(row[0], row[_OCCURRED_AT]) for row in new]


def customer_changes_fold(*, customer_ids: Sequence[int] | None = None) -> dict[int, dt.datetime]:
    """Move the changes the ingest queued into Customer.dirty_since (the earliest time wins).

    With `customer_ids`, the caller holds those customers' rows locked (select_for_update), so
    that nothing else folds them meanwhile. Without, every customer with queued changes is folded
    except those another transaction holds locked: their holder folds them itself, or a later call
    does. The changes are deleted as they are read, so one committed after this call began stays
    queued for the next. Returns customer id -> dirty_since of the customers that had changes.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            return _customer_changes_fold_postgresql(customer_ids)
        changes = CustomerChange.objects.all()
        if customer_ids is not None:
            changes = changes.filter(customer_id__in=customer_ids)
        earliest = _earliest_by_customer(changes.values_list("customer_id", "since"))
        changes.delete()
        customers = list(Customer.objects.filter(pk__in=earliest).only("pk", "dirty_since"))
        for customer in customers:
            customer.dirty_since = earliest_of(customer.dirty_since, earliest[customer.pk])
        Customer.objects.bulk_update(customers, ["dirty_since"])
        return {customer.pk: customer.dirty_since for customer in customers}


def customer_changes_take(*, customer_ids: Sequence[int], until: dt.datetime) -> dict[int, dt.datetime]:
    """Remove the changes queued for these customers dated up to `until`; returns each one's earliest.

    For a caller that evaluates the customers (their rows locked) up to `until` in the same
    transaction: the changes leave the queue with the work that covers them, and nothing is written
    to the customers. Later-dated changes stay queued for a later evaluation.
    """
    if not customer_ids:
        return {}
    table = CustomerChange._meta.db_table
    if connection.vendor == "postgresql":
        # DELETE ... RETURNING reads exactly the rows it removes: none is lost in between.
        with connection.cursor() as cursor:
            cursor.execute(
                f"""WITH taken AS (
                    DELETE FROM {table} WHERE customer_id = ANY(%s) AND since <= %s RETURNING customer_id, since
                ) SELECT customer_id, min(since) FROM taken GROUP BY customer_id""",
                [list(customer_ids), until],
            )
            return dict(cursor.fetchall())
    changes = CustomerChange.objects.filter(customer_id__any_of=customer_ids, since__lte=until)
    earliest = _earliest_by_customer(changes.values_list("customer_id", "since"))
    changes.delete()
    return earliest


def _customer_changes_fold_postgresql(customer_ids: Sequence[int] | None) -> dict[int, dt.datetime]:
    customer_table, change_table = Customer._meta.db_table, CustomerChange._meta.db_table
    if customer_ids is None:
        # Skipping the locked ones, a fold never waits: it cannot deadlock with another or with a run.
        customers = f"""SELECT id FROM {customer_table} WHERE id IN (SELECT customer_id FROM {change_table})
            FOR NO KEY UPDATE SKIP LOCKED"""
        params = []
    else:
        customers, params = "SELECT unnest(%s::bigint[])", [list(customer_ids)]
    with connection.cursor() as cursor:
        # DELETE ... RETURNING reads exactly the rows it removes: none is lost in between.
        cursor.execute(
            f"""
            WITH moved AS (
                DELETE FROM {change_table} WHERE customer_id IN ({customers}) RETURNING customer_id, since
            ), earliest AS (
                SELECT customer_id, min(since) AS since FROM moved GROUP BY customer_id
            )
            UPDATE {customer_table} c SET dirty_since = LEAST(c.dirty_since, e.since)
            FROM earliest e WHERE c.id = e.customer_id
            RETURNING c.id, c.dirty_since
            """,
            params,
        )
        return dict(cursor.fetchall())


def _announce(customer_ids: list[int]) -> None:
    # After the commit the signals are stored whatever a listener does: its failure is logged,
    # never turned into an error answer for a batch that was accepted.
    for receiver, result in hooks.signals_ingested.send_robust(sender=Signal, customer_ids=customer_ids):
        if isinstance(result, Exception):
            logger.error("signals_ingested receiver %r failed", receiver, exc_info=result)


def customer_upsert(*, external_id: str, data: Any) -> tuple[Customer, bool]:
    """Create or update a customer's profile; fields left out keep their value. Returns (customer, created)."""
    errors: list[dict[str, Any]] = []
    try:
        external_id = external_id_text(external_id)
    except ValueError as exc:
        errors.append(error(None, "external_id", str(exc)))
    clean = CUSTOMER_PROFILE.validate(data, errors=errors)
    if errors:
        raise InvalidInput("The customer profile is invalid; nothing was stored.", errors)
    return Customer.objects.update_or_create(external_id=external_id, defaults=clean)


def api_token_create(*, name: str, scopes: Sequence[str]) -> tuple[ApiToken, str]:
    """A new token for an integration; returns the token and its key, which is shown only once."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValueError("The token name must have 1 to 100 characters.")
    unknown = sorted(set(scopes) - set(ApiScope.values))
    if unknown:
        raise ValueError(f"Unknown scope(s): {', '.join(unknown)}; known: {', '.join(ApiScope.values)}.")
    if not scopes:
        raise ValueError(f"Give at least one scope of: {', '.join(ApiScope.values)}.")
    key = ApiToken.generate_key()
    token = ApiToken.objects.create(
        name=name, key_hash=ApiToken.hash_key(key), prefix=key[:8], scopes=sorted(set(scopes))
    )
    return token, key
