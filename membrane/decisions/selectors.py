"""Reads on the decision path, shaped so that a decision costs as few round trips as possible."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import DateTimeField, F, QuerySet, Value

from cxcore.authentication import token_for_key, token_select
from cxcore.db import RowModel, hot_cursor
from cxcore.facts.per_customer import SIGNAL_COLUMNS
from cxcore.models import ApiToken, Customer, Direction, Signal, SignalKind
from cxcore.selectors import customer_changes_since
from membrane.models import CustomerStage
from membrane.stages.rules import STAMP_FIELDS, published_stamp_annotations

from .engine import ruleset_stamp_subquery
from .services import CONTACT_COLUMNS, PreloadedSignals

_RULES = "stage_rules_"
_STORED = "stored_stage_"
_STORED_FIELDS = ("stage", "since", "previous_stage", "evaluated_through", "ruleset_number")
# Annotations that read back as datetimes (a raw query leaves them as the database returns them).
_DATETIMES = ("changes_since", f"{_RULES}published_at", f"{_STORED}since", f"{_STORED}evaluated_through")


def _customers() -> QuerySet[Customer]:
    # Everything a decision reads besides the signals rides along with the customer, in one round trip
    # and one snapshot: the published principles' stamp and the published stage rules' identity (the
    # compiled caches are checked without queries of their own, exactly as fresh as the customer), and
    # the stored stage (its freshness judged by the dirty_since and the queued changes read with it).
    return Customer.objects.annotate(
        changes_since=customer_changes_since(),
        ruleset_stamp=ruleset_stamp_subquery(),
        **published_stamp_annotations(_RULES),
        **{f"{_STORED}{name}": F(f"stage_state__{name}") for name in _STORED_FIELDS},
    )


# Stands for the external id in the SQL compiled once; never a real id (ids are text without NUL).
_EXTERNAL_ID = "\x00external_id\x00"


@functools.cache
def _lookup_sql(vendor: str) -> tuple[str, tuple]:
    # Compiling the ORM query costs ten times the database's answer on the decision path; its SQL
    # never changes, so it is compiled once per process (and database vendor) and run as a raw query.
    return _customers().filter(external_id=_EXTERNAL_ID).order_by()[:1].query.sql_with_params()


@functools.cache
def _datetime_converters(vendor: str) -> tuple[list, Value]:
    # What the ORM applies to a datetime column (SQLite returns text); a raw query applies it only to model fields.
    expression = Value(None, output_field=DateTimeField())
    return connection.ops.get_db_converters(expression) + expression.get_db_converters(connection), expression


def _preloaded(customer: Customer, *, raw: bool) -> Customer:
    """Turns the annotations into what customer_row passes on: `stage_rules_stamp` and `stored_stage`."""
    if raw:
        converters, expression = _datetime_converters(connection.vendor)
        for name in _DATETIMES:
            value = getattr(customer, name)
            for converter in converters:
                value = converter(value, expression, connection)
            setattr(customer, name, value)
    stamp = tuple(getattr(customer, f"{_RULES}{name}") for name in STAMP_FIELDS)
    customer.stage_rules_stamp = None if stamp[0] is None else stamp
    stored = {name: getattr(customer, f"{_STORED}{name}") for name in _STORED_FIELDS}
    # `stage` is never null in a stored row: null means the customer has none yet.
    customer.stored_stage = None if stored["stage"] is None else CustomerStage(customer_id=customer.pk, **stored)
    return customer


@dataclass(frozen=True)
class _OneStatement:
    """The PostgreSQL lookup: the customer, what rides with it, and all their signals, in one statement."""

    sql: str
    params: tuple
    customers: RowModel  # the customer's fields come first in the row (after the token's, if read)
    annotations: tuple[str, ...]  # then these, then an array per signal column
    tokens: RowModel | None = None  # with_token: the API token's fields come first


@functools.cache
def _one_statement(*, with_token: bool = False) -> _OneStatement:
    quote = connection.ops.quote_name
    customers = RowModel(Customer)
    queryset = _customers().filter(external_id=_EXTERNAL_ID).order_by()
    annotations = tuple(queryset.query.annotations)
    fields = (f.attname for f in customers.fields)
    inner, params = queryset.values_list(*fields, *annotations)[:1].query.sql_with_params()
    columns = customers.columns("c", binary=True) + [f"c.{quote(name)}" for name in annotations]
    signal = {name: quote(Signal._meta.get_field(name).column) for name in (*SIGNAL_COLUMNS, *CONTACT_COLUMNS)}
    contact = f"{signal['kind']} = %s AND {signal['direction']} = %s"
    arrays = [f"array_agg({signal[name]})" for name in SIGNAL_COLUMNS]
    arrays += [f"array_agg({signal[name]}) FILTER (WHERE {contact})" for name in CONTACT_COLUMNS]
    # The aggregates of one grouping see the same rows in the same order: the arrays line up.
    sql = (
        f"SELECT {', '.join(columns)}, s.* FROM ({inner}) AS c LEFT JOIN LATERAL "
        f"(SELECT {', '.join(arrays)} FROM {quote(Signal._meta.db_table)} "
        f"WHERE {quote(Signal._meta.get_field('customer').column)} = c.{quote(Customer._meta.pk.column)}) AS s ON true"
    )
    params = (*params, *(SignalKind.CONTACT.value, Direction.OUT.value) * len(CONTACT_COLUMNS))
    if not with_token:
        return _OneStatement(sql=sql, params=params, customers=customers, annotations=annotations)
    # One row whatever is found: the token's columns (null when the key is unknown or revoked), then the
    # customer's (null when there is no such customer).
    token = token_select("t")
    return _OneStatement(
        sql=(
            f"SELECT tok.*, d.* FROM (SELECT 1) AS one LEFT JOIN ({token.sql}) AS tok ON true "
            f"LEFT JOIN ({sql}) AS d ON true"
        ),
        params=(*token.params, *params),
        customers=customers,
        annotations=annotations,
        tokens=token.tokens,
    )


def _customer_with_signals(external_id: str, *, key_hash: str | None = None) -> tuple[Customer | None, ApiToken | None]:
    statement = _one_statement(with_token=key_hash is not None)
    bound = {_EXTERNAL_ID: external_id}
    if key_hash is not None:
        bound[token_select("t").key_hash] = key_hash
    with hot_cursor(binary=True) as cursor:
        cursor.execute(statement.sql, [bound.get(p, p) if isinstance(p, str) else p for p in statement.params])
        row = cursor.fetchone()
    token = None
    if statement.tokens is not None:
        n = len(statement.tokens.fields)
        token = None if row[0] is None else statement.tokens.instance(row)
        row = row[n:]
    if row is None or row[0] is None:
        return None, token
    customer = statement.customers.instance(row)
    n, m = len(statement.customers.fields), len(statement.annotations)
    for name, value in zip(statement.annotations, row[n : n + m], strict=True):
        setattr(customer, name, value)
    arrays = [array or () for array in row[n + m :]]
    customer.preloaded_signals = PreloadedSignals(
        rows=list(zip(*arrays[: len(SIGNAL_COLUMNS)], strict=True)),
        contacts=list(zip(*arrays[len(SIGNAL_COLUMNS) :], strict=True)),
    )
    return _preloaded(customer, raw=False), token


def customer_for_decision(*, external_id: str) -> Customer | None:
    """The customer a question names, or None; carries what decision_make reads.

    On PostgreSQL that is everything a decision reads, all in one statement: besides the customer,
    the published sets' stamps, the stored stage, and all the customer's signals, which the next
    decision about them uses once (services.decision_evaluate) whatever time it asks about.
    """
    if connection.vendor == "postgresql":
        return _customer_with_signals(external_id)[0]
    sql, params = _lookup_sql(connection.vendor)
    bound = [external_id if param == _EXTERNAL_ID else param for param in params]
    customer = next(iter(Customer.objects.raw(sql, bound)), None)
    return None if customer is None else _preloaded(customer, raw=True)


def customer_and_token_for_decision(*, external_id: str, key: str) -> tuple[Customer | None, ApiToken | None]:
    """customer_for_decision, and the API token of `key` as token_for_key finds it (None: unknown or revoked).

    On PostgreSQL the token is read in the customer's statement: the decision API, which must look
    its caller's token up anyway, saves a round trip.
    """
    if connection.vendor == "postgresql":
        return _customer_with_signals(external_id, key_hash=ApiToken.hash_key(key))
    return customer_for_decision(external_id=external_id), token_for_key(key)


def customers_for_decisions(*, external_ids: Iterable[str]) -> dict[str, Customer]:
    """The customers of a batch by external id (unknown ones missing), preloaded as by customer_for_decision."""
    customers = _customers().filter(external_id__in=set(external_ids))
    return {c.external_id: _preloaded(c, raw=False) for c in customers}
