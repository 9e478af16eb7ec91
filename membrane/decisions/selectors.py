"""Reads on the decision path: a customer's DecisionInputs, in as few round trips as possible."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable

from django.db import connection
from django.db.models import F, QuerySet
from django.utils import timezone

from cxcore.authentication import RideAlong
from cxcore.db import HotQuery, Slot, instance, model_columns
from cxcore.facts.fold_state import stored_checkpoint
from cxcore.facts.per_customer import SIGNAL_COLUMNS
from cxcore.models import Customer, Direction, Signal, SignalKind
from cxcore.selectors import customer_changes_since
from membrane.models import CustomerStage
from membrane.stages.one_customer import StoredStage
from membrane.stages.rules import STAMP_FIELDS, published_stamp_annotations

from .engine import ruleset_stamp_subquery
from .values import CONTACT_COLUMNS, DecisionInputs, PreloadedSignals, ReadWithCustomer

_CUSTOMER = model_columns(Customer)
_STORED_FIELDS = ("stage", "since", "previous_stage", "evaluated_through", "ruleset_number", "settled")
# The stored facts checkpoint (CustomerFoldState), read with the customer as checkpoint_<name>.
_CHECKPOINT_FIELDS = {"as_of": "as_of", "standing": "standing", "next_us": "next_instant_us", "clock_key": "clock_key"}
# How far back the outbound contacts read with the customer reach: a cap over a longer window, or a
# decision asked about a time further back, reads its contacts itself.
CONTACTS_READ_DAYS = 31
# What rides along with the customer (ReadWithCustomer), in this order after the customer's fields.
_READ = (
    "changes_since",
    "principles_stamp",
    *(f"stage_rules_{name}" for name in STAMP_FIELDS),
    *(f"stored_{name}" for name in _STORED_FIELDS),
    *(f"checkpoint_{name}" for name in _CHECKPOINT_FIELDS),
)


def _customers() -> QuerySet:
    # Everything a decision reads besides the signals rides along with the customer, in one round trip
    # and one snapshot: the published principles' stamp and the published stage rules' identity (the
    # compiled caches are checked without queries of their own, exactly as fresh as the customer), and
    # the stored stage (its freshness judged by the dirty_since and the queued changes read with it),
    # and the facts' checkpoint (which holds by the same marks).
    annotated = Customer.objects.annotate(
        changes_since=customer_changes_since(),
        principles_stamp=ruleset_stamp_subquery(),
        **published_stamp_annotations("stage_rules_"),
        **{f"stored_{name}": F(f"stage_state__{name}") for name in _STORED_FIELDS},
        **{f"checkpoint_{name}": F(f"fold_state__{field}") for name, field in _CHECKPOINT_FIELDS.items()},
    )
    return annotated.order_by().values_list(*_CUSTOMER, *_READ)


@functools.cache
def _query(vendor: str) -> HotQuery:
    query = HotQuery.of(_customers().filter(external_id=Slot("external_id"))[:1])
    if vendor != "postgresql":
        return query
    # On PostgreSQL the signals the customer's checkpoint does not cover ride along too (all of them
    # when there is none), as an array per column (the aggregates of one grouping see the same rows in
    # the same order: the arrays line up), and the outbound contacts of the last CONTACTS_READ_DAYS
    # the caps count. Both are ranges of the (customer, occurred_at) index: the history before them
    # is not read (the lower end one expression of the customer's row, so that it bounds the index scan
    # rather than filtering every entry of the customer).
    quote = connection.ops.quote_name
    column = {name: quote(Signal._meta.get_field(name).column) for name in (*SIGNAL_COLUMNS, *CONTACT_COLUMNS)}
    occurred_at = column["occurred_at"]
    contact = f"{column['kind']} = %s AND {column['direction']} = %s AND {occurred_at} > %s"
    uncovered = f"c.checkpoint_as_of IS NULL OR {occurred_at} > c.checkpoint_as_of"
    arrays = [f"array_agg({column[name]}) FILTER (WHERE {uncovered})" for name in SIGNAL_COLUMNS]
    arrays += [f"array_agg({column[name]}) FILTER (WHERE {contact})" for name in CONTACT_COLUMNS]
    contacts_from = Slot("contacts_from")
    return query.around(
        f"SELECT c.*, s.* FROM ({{query}}) AS c LEFT JOIN LATERAL (SELECT {', '.join(arrays)} "
        f"FROM {quote(Signal._meta.db_table)} WHERE {quote(Signal._meta.get_field('customer').column)} "
        f"= c.{quote(Customer._meta.pk.column)} AND {occurred_at} > CASE WHEN c.checkpoint_as_of IS NULL "
        f"THEN '-infinity'::timestamptz ELSE LEAST(c.checkpoint_as_of, %s) END) AS s ON true",
        names=(*(f"signals_{name}" for name in SIGNAL_COLUMNS), *(f"contacts_{name}" for name in CONTACT_COLUMNS)),
        after=(SignalKind.CONTACT.value, Direction.OUT.value, contacts_from) * len(CONTACT_COLUMNS) + (contacts_from,),
    )


def _contacts_from(at: dt.datetime | None) -> dt.datetime:
    return (at or timezone.now()) - dt.timedelta(days=CONTACTS_READ_DAYS)


def _inputs(row: list, contacts_from: dt.datetime | None = None) -> DecisionInputs:
    customer_end = len(_CUSTOMER)
    read_end = customer_end + len(_READ)
    customer = instance(Customer, row[:customer_end])
    read = dict(zip(_READ, row[customer_end:read_end], strict=True))
    stamp = tuple(read[f"stage_rules_{name}"] for name in STAMP_FIELDS)
    stored = {name: read[f"stored_{name}"] for name in _STORED_FIELDS}
    checkpoint = stored_checkpoint(**{name: read[f"checkpoint_{name}"] for name in _CHECKPOINT_FIELDS})
    signals = None
    if len(row) > read_end:
        arrays = [array or () for array in row[read_end:]]
        signals = PreloadedSignals(
            rows=list(zip(*arrays[: len(SIGNAL_COLUMNS)], strict=True)),
            contacts=list(zip(*arrays[len(SIGNAL_COLUMNS) :], strict=True)),
            after=read["checkpoint_as_of"],
            contacts_since=contacts_from,
        )
    return DecisionInputs(
        customer=customer,
        read=ReadWithCustomer(
            principles_stamp=read["principles_stamp"],
            stage_rules_stamp=None if stamp[0] is None else stamp,
            stored_stage=StoredStage(
                # `stage` is never null in a stored row: null means the customer has none yet.
                state=None if stored["stage"] is None else CustomerStage(customer_id=customer.pk, **stored),
                changes_since=read["changes_since"],
            ),
            signals=signals,
            checkpoint=checkpoint,
        ),
    )


def decision_inputs_read(*, external_id: str, at: dt.datetime | None = None) -> DecisionInputs | None:
    """The inputs of a decision about the customer with this external id, or None: one statement.

    On PostgreSQL that is everything a usual decision reads, the signals its checkpoint does not cover
    included, and the contacts of the caps' windows for a decision at `at` (None: now).
    """
    contacts_from = _contacts_from(at)
    row = _query(connection.vendor).first(**_slots(external_id, contacts_from))
    return None if row is None else _inputs(row, contacts_from)


def decision_inputs_of(customer: Customer, *, at: dt.datetime | None = None) -> DecisionInputs:
    """The inputs of decisions about a customer already in hand, read as the API reads them: with their
    stored stage and facts checkpoint, so that a long history is not read (and folded) whole."""
    return decision_inputs_read(external_id=customer.external_id, at=at) or DecisionInputs(customer)


def _slots(external_id: str, contacts_from: dt.datetime) -> dict:
    if connection.vendor != "postgresql":
        return {"external_id": external_id}
    return {"external_id": external_id, "contacts_from": contacts_from}


def decision_inputs_ride(*, external_id: str, at: dt.datetime | None = None) -> RideAlong:
    """decision_inputs_read as a read that rides along with an API caller's token lookup."""
    return RideAlong(_query(connection.vendor), **_slots(external_id, _contacts_from(at)))


def decision_inputs_ridden(ride: RideAlong) -> DecisionInputs | None:
    """What decision_inputs_read would have answered, from the row the ride brought back."""
    return None if ride.row is None else _inputs(ride.row, ride.values.get("contacts_from"))


def decision_inputs_read_many(*, external_ids: Iterable[str]) -> dict[str, DecisionInputs]:
    """The inputs of a batch by external id (unknown ones missing); the signals are read per decision."""
    rows = _customers().filter(external_id__in=set(external_ids))
    return {inputs.customer.external_id: inputs for inputs in map(_inputs, rows)}
