"""The stored checkpoints (CustomerFoldState): reading one that holds, the facts from it, and writing them.

A stored checkpoint as of S holds while no signal dated at or before S is missing from it: the
customer is not dirty from S or earlier (Customer.dirty_since, or a change the ingest queued).
The writer, the event-time path, replaces it whenever it takes a customer's changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cxcore.models import Customer, CustomerFoldState, Signal
from cxcore.selectors import customer_changes_since, earliest_of

from .checkpoint import Checkpoint, checkpoint_dump, checkpoint_load, facts_from_checkpoint
from .days import epoch_us
from .folds import SIGNAL_COLUMNS
from .per_customer import facts_for_customer

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class StoredCheckpoint:
    """A stored checkpoint, and the next instant its writer noted (None: unknown) for its rules `clock_key`."""

    checkpoint: Checkpoint
    next_instant: dt.datetime | None
    clock_key: int | None


def checkpoint_holds(*, as_of: dt.datetime | None, dirty: dt.datetime | None, at: dt.datetime) -> bool:
    """Whether a checkpoint as of `as_of` gives the facts at `at`, the customer dirty from `dirty` (None: clean)."""
    return as_of is not None and as_of <= at and (dirty is None or dirty > as_of)


def stored_checkpoint(
    *, state: dict | None, as_of: dt.datetime | None, next_us: int | None, clock_key: int | None
) -> StoredCheckpoint | None:
    """A stored row's columns as a StoredCheckpoint (None when there is none, or of an older format)."""
    checkpoint = None if as_of is None else checkpoint_load(state, as_of=as_of)
    if checkpoint is None:
        return None
    next_instant = None if next_us is None else _EPOCH + dt.timedelta(microseconds=next_us)
    return StoredCheckpoint(checkpoint, next_instant, clock_key)


def checkpoints_read(*, customer_ids: Sequence[int]) -> dict[int, StoredCheckpoint]:
    """The customers' stored checkpoints (whether they hold is the caller's to judge: checkpoint_holds)."""
    rows = CustomerFoldState.objects.filter(customer_id__any_of=list(customer_ids)).values_list(
        "customer_id", "state", "as_of", "next_instant_us", "clock_key"
    )
    read = {}
    for customer_id, state, as_of, next_us, key in rows:
        stored = stored_checkpoint(state=state, as_of=as_of, next_us=next_us, clock_key=key)
        if stored is not None:
            read[customer_id] = stored
    return read


def facts_at(*, customer: Customer, at: dt.datetime) -> dict[str, Any]:
    """cxcore's facts of `customer` at `at`: from their stored checkpoint and the signals after it when it
    holds (two queries, whatever the history's length), else from all their signals up to `at`."""
    row = (
        CustomerFoldState.objects.filter(customer_id=customer.pk)
        .annotate(changes_since=customer_changes_since("customer_id"))
        .values_list("state", "as_of", "customer__dirty_since", "changes_since")
        .first()
    )
    if row is not None:
        state, as_of, dirty_since, changes_since = row
        if checkpoint_holds(as_of=as_of, dirty=earliest_of(dirty_since, changes_since), at=at):
            checkpoint = checkpoint_load(state, as_of=as_of)
            if checkpoint is not None:
                after = Signal.objects.filter(customer=customer, occurred_at__gt=as_of, occurred_at__lte=at)
                rows = list(after.values_list(*SIGNAL_COLUMNS))
                return facts_from_checkpoint(customer=customer, checkpoint=checkpoint, rows=rows, at=at)
    return facts_for_customer(customer=customer, at=at)


@dataclass(frozen=True)
class CheckpointRow:
    """A checkpoint to store for a customer, with the next instant of its writer's rules (see the model)."""

    customer_id: int
    checkpoint: Checkpoint
    next_instant: dt.datetime | None
    clock_key: int | None


def checkpoints_store(*, rows: Iterable[CheckpointRow], forget: Iterable[int] = ()) -> None:
    """Writes the checkpoints (replacing the stored ones) and deletes those of the customers in `forget`
    that get none: their stored one lacks signals they were evaluated with (in the caller's transaction)."""
    made = [
        CustomerFoldState(
            customer_id=row.customer_id,
            as_of=row.checkpoint.as_of,
            state=checkpoint_dump(row.checkpoint),
            next_instant_us=None if row.next_instant is None else epoch_us(row.next_instant),
            clock_key=row.clock_key,
        )
        for row in rows
    ]
    written = {state.customer_id for state in made}
    stale = [pk for pk in forget if pk not in written]
    if stale:
        CustomerFoldState.objects.filter(customer_id__any_of=stale).delete()
    if made:
        CustomerFoldState.objects.bulk_create(
            made,
            update_conflicts=True,
            unique_fields=["customer"],
            update_fields=["as_of", "state", "next_instant_us", "clock_key"],
            batch_size=2000,
        )
