"""Reads on the decision path, shaped so that a decision costs as few round trips as possible."""

from __future__ import annotations

import functools
from collections.abc import Iterable

from django.db import connection
from django.db.models import DateTimeField, F, QuerySet, Value

from cxcore.models import Customer
from cxcore.selectors import customer_changes_since
from membrane.models import CustomerStage
from membrane.stages.rules import STAMP_FIELDS, published_stamp_annotations

from .engine import ruleset_stamp_subquery

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


def customer_for_decision(*, external_id: str) -> Customer | None:
    """The customer a question names, or None; carries what decision_make reads besides the signals."""
    sql, params = _lookup_sql(connection.vendor)
    bound = [external_id if param == _EXTERNAL_ID else param for param in params]
    customer = next(iter(Customer.objects.raw(sql, bound)), None)
    return None if customer is None else _preloaded(customer, raw=True)


def customers_for_decisions(*, external_ids: Iterable[str]) -> dict[str, Customer]:
    """The customers of a batch by external id (unknown ones missing), preloaded as by customer_for_decision."""
    customers = _customers().filter(external_id__in=set(external_ids))
    return {c.external_id: _preloaded(c, raw=False) for c in customers}
