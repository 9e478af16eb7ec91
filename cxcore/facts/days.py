"""Whole days between two instants in SQL through the ORM, exactly as cxcore's day facts count them in Python."""

from __future__ import annotations

import datetime as dt

from django.db.models import Func, IntegerField

from .sql import DAY_US, Dialect

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def epoch_us(at: dt.datetime) -> int:
    """Integer microseconds since 1970 (exact, unlike a float timestamp)."""
    delta = at - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


class DaysSince(Func):
    """floor((at - column) / 1 day) in SQL, on integer microseconds like cxcore's day facts; null stays null."""

    output_field = IntegerField()

    def __init__(self, expression, *, at: dt.datetime):
        super().__init__(expression)
        self.at_us = epoch_us(at)

    def as_sql(self, compiler, connection, **extra_context):
        inner, params = compiler.compile(self.source_expressions[0])
        if params:
            # The dialect may repeat the expression (SQLite): a column has no parameters to repeat with it.
            raise ValueError("DaysSince counts from a column, not from an expression with parameters")
        return f"((%s - {Dialect(connection.vendor).epoch_us(inner)}) / {DAY_US})", [self.at_us]
