"""A customer's stored facts row (CustomerFacts) from their checkpoint, instead of cxcore's statement over every signal.

The event-time path ends with each customer's checkpoint as of the instant it evaluated (checkpoint.py):
the rows of their history the facts still read at any later time, and the facts' standing there
(standing.py), stored beside it. The row as of that instant is the standing's facts, written in the
columns the set-based statement writes (set_based.py): a count as it stands, a day count as the instant
it counts from, and `valid_until_us`, the earliest of a windowed count's expiry, a tenure that begins
later, and the customer's next signal. Its cost is the windows', not the history's (issue 15); it equals
the statement's row (tested against it).
"""

from __future__ import annotations

import datetime as dt
from collections import namedtuple
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from cxcore import json_fast
from cxcore.db import fast_rows
from cxcore.models import Customer, CustomerFacts, Signal

from .catalogue import CXCORE_FACTS
from .days import epoch_us
from .folds import OCCURRED_AT, Profile, Tenure
from .set_based import stored_columns
from .standing import Standing, standing_facts

# What the facts read of a customer (the profile's columns and created_at): building ten thousand model
# instances to read these cost more than the rows' folds.
_PROFILE = ("created_at", *(fact.fold.column for fact in CXCORE_FACTS if isinstance(fact.fold, Profile)))
_Profile = namedtuple("_Profile", ("pk", *_PROFILE))


def facts_row_from_standing(*, customer, standing: Standing, next_signal: dt.datetime | None) -> dict[str, Any]:
    """The stored columns (set_based.stored_columns) as of the standing's instant (the checkpoint's it was
    taken of); `next_signal`: the customer's first signal after it (None: none).

    The standing holds every fact at its instant already (standing.py): the row is those values in the
    statement's columns, and it expires where the standing stops holding (a windowed count's expiry), at a
    tenure that begins later, or at the next signal.
    """
    at = standing.as_of
    facts = standing_facts(customer=customer, standing=standing, at=at)
    ends = [] if standing.until is None else [standing.until]
    row: dict[str, Any] = {}
    for fact in CXCORE_FACTS:
        if isinstance(fact.fold, Tenure):
            # Stored even when it begins after `at` (a customer created later), where the fact is null: the
            # row expires then. The standing keeps the first signal (the tenure's row), the earliest of its rows.
            first = min((row[OCCURRED_AT] for row in standing.rows), default=None)
            start = customer.created_at if first is None or customer.created_at < first else first
            row[fact.column] = start
            if start > at:
                ends.append(start)
            continue
        value = facts[fact.name]
        if fact.counts_days:
            # The instant it counts from, exact: a day count is the duration since it in microseconds.
            value = None if value is None else at - dt.timedelta(microseconds=value.us)
        row[fact.column] = value
    if next_signal is not None:
        ends.append(next_signal)
    row["valid_until_us"] = min((epoch_us(end) for end in ends), default=None)
    return row


_TABLE = CustomerFacts._meta.db_table
_COLUMNS = ("customer_id", "as_of", "computed_at", *stored_columns())
# On PostgreSQL the rows are bound as one JSON document read as the table's rows (each value cast by its
# column's type), as the stage history's writer binds its own: compiling thousands of model instances into a
# multi-row INSERT cost more than the folds.
_UPSERT = f"""INSERT INTO {_TABLE} ({", ".join(_COLUMNS)})
    SELECT {", ".join(_COLUMNS)} FROM jsonb_populate_recordset(NULL::{_TABLE}, %s::jsonb)
    ON CONFLICT (customer_id) DO UPDATE SET {", ".join(f"{name} = excluded.{name}" for name in _COLUMNS[1:])}"""


def _json_value(value: Any) -> Any:
    # Exact: an instant in ISO form with its microseconds and offset, a decimal as its text.
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not a stored facts value")


@dataclass(frozen=True, slots=True)
class RowInputs:
    """What writing a customer's facts row as of an instant reads besides their standing: their profile, the
    instant their stored row is of (None: none stored), and their first signal after the instant (None: none)."""

    profile: tuple
    stored_as_of: dt.datetime | None
    next_signal: dt.datetime | None


def facts_row_inputs(*, customer_ids: list[int], at: dt.datetime) -> dict[int, RowInputs]:
    """The customers' RowInputs as of `at`, in one statement (a run of one customer paid three round trips)."""
    # The next signal after `at` ends the row's validity: off the (customer, occurred_at) index, none for a
    # customer evaluated up to now.
    following = Signal.objects.filter(customer_id=OuterRef("pk"), occurred_at__gt=at).order_by("occurred_at")
    rows = fast_rows(
        Customer.objects.filter(pk__any_of=customer_ids)
        .annotate(stored_as_of=F("facts__as_of"), next_signal=Subquery(following.values("occurred_at")[:1]))
        .values_list("pk", *_PROFILE, "stored_as_of", "next_signal")
    )
    return {row[0]: RowInputs(_Profile(*row[:-2]), row[-2], row[-1]) for row in rows}


def facts_store_from_standings(
    *, standings: dict[int, Standing], at: dt.datetime, inputs: dict[int, RowInputs] | None = None
) -> None:
    """Stores the facts row as of `at` of each customer (id -> the standing of their checkpoint as of `at`),
    replacing their stored row (in the caller's transaction): two statements for the batch, whatever the
    histories, one when the caller has read their `inputs` (facts_row_inputs) already."""
    if not standings:
        return
    if any(standing.as_of != at for standing in standings.values()):
        raise ValueError("the standings must be as of the instant the rows are written for")
    if inputs is None:
        inputs = facts_row_inputs(customer_ids=list(standings), at=at)
    now = timezone.now()
    rows = [
        {
            "customer_id": pk,
            "as_of": at,
            "computed_at": now,
            **facts_row_from_standing(
                customer=inputs[pk].profile, standing=standing, next_signal=inputs[pk].next_signal
            ),
        }
        for pk, standing in standings.items()
    ]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_UPSERT, [json_fast.dumps_floatless(rows, default=_json_value)])
        return
    CustomerFacts.objects.bulk_create(
        [CustomerFacts(**row) for row in rows],
        update_conflicts=True,
        unique_fields=["customer"],
        update_fields=["as_of", "computed_at", *stored_columns()],
        batch_size=2000,
    )
