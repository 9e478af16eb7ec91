"""The stored checkpoints (CustomerFoldState): reading one that holds, the facts from it, and writing them.

A stored checkpoint as of S holds while no signal dated at or before S is missing from it: the
customer is not dirty from S or earlier (Customer.dirty_since, or a change the ingest queued).
The writer, the event-time path, replaces it whenever it takes a customer's changes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db import connection

from cxcore import json_fast
from cxcore.db import fast_rows
from cxcore.models import Customer, CustomerFoldState, Signal
from cxcore.selectors import customer_changes_since, earliest_of

from .checkpoint import Checkpoint, checkpoint_dump, checkpoint_load, facts_from_checkpoint
from .days import epoch_us
from .folds import OCCURRED_AT, SIGNAL_COLUMNS, Summary
from .per_customer import facts_for_customer
from .standing import Standing, standing_dump, standing_facts, standing_load, standing_of

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_BEFORE_ALL = dt.datetime.min.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class StoredCheckpoint:
    """What a read about one customer takes of their stored checkpoint: its instant, the facts' standing
    (None: not stored), and the next instant its writer noted (None: unknown) for its rules `clock_key`.
    The checkpoint itself (its windows' rows) is read apart, when the standing does not hold."""

    as_of: dt.datetime
    standing: Standing | None
    next_instant: dt.datetime | None
    clock_key: int | None


def checkpoint_holds(*, as_of: dt.datetime | None, dirty: dt.datetime | None, at: dt.datetime) -> bool:
    """Whether a checkpoint as of `as_of` gives the facts at `at`, the customer dirty from `dirty` (None: clean)."""
    return as_of is not None and as_of <= at and (dirty is None or dirty > as_of)


def stored_checkpoint(
    *, as_of: dt.datetime | None, standing: dict | None, next_us: int | None, clock_key: int | None
) -> StoredCheckpoint | None:
    """A stored row's columns as a StoredCheckpoint (None when there is none)."""
    if as_of is None:
        return None
    next_instant = None if next_us is None else _EPOCH + dt.timedelta(microseconds=next_us)
    return StoredCheckpoint(as_of, standing_load(standing, as_of=as_of), next_instant, clock_key)


def checkpoints_read(*, customer_ids: Sequence[int]) -> dict[int, Checkpoint]:
    """The customers' stored checkpoints (whether they hold is the caller's to judge: checkpoint_holds)."""
    rows = fast_rows(
        CustomerFoldState.objects.filter(customer_id__any_of=list(customer_ids)).values_list(
            "customer_id", "state", "as_of"
        )
    )
    read = {}
    for customer_id, state, as_of in rows:
        checkpoint = checkpoint_load(_json_read(state), as_of=as_of)
        if checkpoint is not None:
            read[customer_id] = checkpoint
    return read


def _json_read(value: str | dict | None) -> dict | None:
    """A JSON column's value as fast_rows gives it: its text on PostgreSQL (parsed by orjson where that gives
    json.loads' value), already decoded elsewhere."""
    if type(value) is not str:
        return value
    raw = value.encode()
    parsed, decoded = json_fast.loads(raw)
    return decoded if parsed else json.loads(raw)


def _current(customer_id: int, *, since: dt.datetime, at: dt.datetime) -> StoredCheckpoint | None:
    """The customer's stored checkpoint, when it is as of `since` or later and holds at `at`."""
    row = (
        CustomerFoldState.objects.filter(customer_id=customer_id, as_of__gte=since)
        .annotate(changes_since=customer_changes_since("customer_id"))
        .values_list("as_of", "standing", "customer__dirty_since", "changes_since")
        .first()
    )
    if row is None:
        return None
    as_of, standing, dirty_since, changes_since = row
    if not checkpoint_holds(as_of=as_of, dirty=earliest_of(dirty_since, changes_since), at=at):
        return None
    return stored_checkpoint(as_of=as_of, standing=standing, next_us=None, clock_key=None)


def facts_after_checkpoint(
    *, customer: Customer, stored: StoredCheckpoint, rows: list[tuple], at: dt.datetime
) -> dict[str, Any] | None:
    """cxcore's facts at `at` from a checkpoint that holds at `at` and the signals after it up to `at` (`rows`):
    from its standing when no signal came since it and no count expired. Else from the latest stored
    checkpoint (the caller may have just extended the customer's history, storing a newer one, which
    `rows` cover too): its standing, or the checkpoint itself. None when none holds."""
    standing = _standing_facts(customer, stored, rows, at)
    if standing is not None:
        return standing
    latest = _current(customer.pk, since=stored.as_of, at=at)
    if latest is None:
        return None
    if latest.as_of != stored.as_of:
        standing = _standing_facts(customer, latest, rows, at)
        if standing is not None:
            return standing
    state = CustomerFoldState.objects.filter(customer_id=customer.pk, as_of=latest.as_of).values_list(
        "state", flat=True
    )
    checkpoint = checkpoint_load(state.first(), as_of=latest.as_of)
    if checkpoint is None:
        return None
    return facts_from_checkpoint(customer=customer, checkpoint=checkpoint, rows=rows, at=at)


def _standing_facts(customer, stored: StoredCheckpoint, rows: list[tuple], at: dt.datetime) -> dict | None:
    if stored.standing is None or not stored.standing.holds(at):
        return None
    if any(row[OCCURRED_AT] > stored.as_of for row in rows):
        return None
    return standing_facts(customer=customer, standing=stored.standing, at=at)


def facts_at(*, customer: Customer, at: dt.datetime) -> dict[str, Any]:
    """cxcore's facts of `customer` at `at`: from their stored checkpoint and the signals after it when it
    holds (two queries, a third when something happened since, whatever the history's length), else
    from all their signals up to `at`."""
    stored = _current(customer.pk, since=_BEFORE_ALL, at=at)
    if stored is not None:
        after = Signal.objects.filter(customer=customer, occurred_at__gt=stored.as_of, occurred_at__lte=at)
        rows = list(after.values_list(*SIGNAL_COLUMNS))
        facts = facts_after_checkpoint(customer=customer, stored=stored, rows=rows, at=at)
        if facts is not None:
            return facts
    return facts_for_customer(customer=customer, at=at)


@dataclass(frozen=True)
class CheckpointRow:
    """A checkpoint to store for a customer, with the next instant of its writer's rules (see the model)."""

    customer_id: int
    checkpoint: Checkpoint
    next_instant: dt.datetime | None
    clock_key: int | None
    # The summary the checkpoint was folded from (checkpoint_folded), if its writer has it: the standing is
    # taken from it without folding the checkpoint's rows again.
    folded: Summary | None = field(default=None, repr=False, compare=False)

    @cached_property
    def standing(self) -> Standing:
        """The facts' standing at the checkpoint's instant: stored beside it, and the facts row written with it."""
        return standing_of(self.checkpoint, self.folded)


_TABLE = CustomerFoldState._meta.db_table
# On PostgreSQL the rows are bound as one JSON document, as the stage history's writer binds its own:
# compiling thousands of model instances into a multi-row INSERT cost more than the database's work.
_UPSERT = f"""INSERT INTO {_TABLE} (customer_id, as_of, state, standing, next_instant_us, clock_key)
    SELECT (r->>0)::bigint, timestamptz 'epoch' + (r->>1)::bigint * interval '1 microsecond', r->2, r->3,
        (r->>4)::bigint, (r->>5)::int
    FROM jsonb_array_elements(%s::jsonb) AS rows(r)
    ON CONFLICT (customer_id) DO UPDATE SET as_of = excluded.as_of, state = excluded.state,
        standing = excluded.standing, next_instant_us = excluded.next_instant_us, clock_key = excluded.clock_key"""


def checkpoints_store(*, rows: Iterable[CheckpointRow], forget: Iterable[int] = ()) -> None:
    """Writes the checkpoints (replacing the stored ones) and deletes those of the customers in `forget`
    that get none: their stored one lacks signals they were evaluated with (in the caller's transaction)."""
    made = [
        (
            row.customer_id,
            row.checkpoint.as_of,
            checkpoint_dump(row.checkpoint),
            standing_dump(row.standing),
            None if row.next_instant is None else epoch_us(row.next_instant),
            row.clock_key,
        )
        for row in rows
    ]
    written = {row[0] for row in made}
    stale = [pk for pk in forget if pk not in written]
    if stale:
        CustomerFoldState.objects.filter(customer_id__any_of=stale).delete()
    if not made:
        return
    if connection.vendor == "postgresql":
        document = json_fast.dumps_floatless([[pk, epoch_us(as_of), *rest] for pk, as_of, *rest in made])
        with connection.cursor() as cursor:
            cursor.execute(_UPSERT, [document])
        return
    CustomerFoldState.objects.bulk_create(
        [
            CustomerFoldState(
                customer_id=pk, as_of=as_of, state=state, standing=standing, next_instant_us=next_us, clock_key=key
            )
            for pk, as_of, state, standing, next_us, key in made
        ],
        update_conflicts=True,
        unique_fields=["customer"],
        update_fields=["as_of", "state", "standing", "next_instant_us", "clock_key"],
        batch_size=2000,
    )
