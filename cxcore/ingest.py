"""Signals in: a batch validated (the fast path first), keyed, stored all or nothing, then announced."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from . import hooks
from .api_schemas import SIGNAL_ITEM, signal_item_clean_fast
from .ingest_storage import customer_ids_for, signal_row, signals_insert
from .models import Signal
from .schemas import InvalidInput, error, text
from .selectors import vocabulary_keys
from .services import customer_changes_queue

logger = logging.getLogger(__name__)

MAX_BATCH = 1000


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    duplicates: int


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
    items_clean = signals_clean(items=items, source=source)
    received_at = timezone.now()
    unique: dict[tuple[str, str], tuple] = {}
    for clean in items_clean:
        key = (clean["source"], clean["idempotency_key"])
        unique.setdefault(key, signal_row(clean["customer"], clean, received_at))
    # A stable order of inserts keeps concurrent batches from deadlocking on the unique index. Python
    # orders strings by code point, as PostgreSQL's COLLATE "C" orders their UTF-8 bytes.
    ordered = [unique[key] for key in sorted(unique)]
    with transaction.atomic():
        customer_ids = customer_ids_for(sorted({row[0] for row in ordered}))
        inserted = signals_insert([(customer_ids[row[0]], *row[1:]) for row in ordered])
        touched = customer_changes_queue(inserted=inserted)
        if touched:
            transaction.on_commit(functools.partial(_announce, touched))
    return IngestResult(accepted=len(inserted), duplicates=len(items_clean) - len(inserted))


def signals_clean(*, items: Any, source: str) -> list[dict[str, Any]]:
    """The batch's clean values, each with its source and idempotency key; InvalidInput names every error."""
    if not isinstance(items, list):
        raise InvalidInput("'signals' must be a list.", [error(None, "signals", "Must be a list of signals.")])
    if not items:
        raise InvalidInput("The batch is empty.", [error(None, "signals", "Must hold at least one signal.")])
    if len(items) > MAX_BATCH:
        message = f"At most {MAX_BATCH} signals per batch; got {len(items)}."
        raise InvalidInput(message, [error(None, "signals", message)])
    errors: list[dict[str, Any]] = []
    items_clean = []
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
            clean["idempotency_key"] = derived_key(item)
        items_clean.append(clean)
    if errors:
        bad = len({e["index"] for e in errors})
        raise InvalidInput(f"{bad} of {len(items)} signals are invalid; nothing was stored.", errors)
    return items_clean


# The canonical form of an item whose key is derived from its content (built once, not per item).
_CANONICAL_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def derived_key(item: dict[str, Any]) -> str:
    """The idempotency key of an item sent without one: a hash of its content, so a retry gets the same."""
    canonical = _CANONICAL_ENCODER.encode(item)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def _announce(customer_ids: list[int]) -> None:
    # After the commit the signals are stored whatever a listener does: its failure is logged,
    # never turned into an error answer for a batch that was accepted.
    for receiver, result in hooks.signals_ingested.send_robust(sender=Signal, customer_ids=customer_ids):
        if isinstance(result, Exception):
            logger.error("signals_ingested receiver %r failed", receiver, exc_info=result)
