"""Whole days between two instants in SQL, exactly as cxcore's day facts count them in Python."""

from __future__ import annotations

import datetime as dt

from django.db.models import Func, IntegerField

DAY_US = 86_400_000_000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def epoch_us(at: dt.datetime) -> int:
    """Integer microseconds since 1970 (exact, unlike a float timestamp)."""
    delta = at - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


class DaysSince(Func):
    """floor((at - expression) / 1 day) in SQL, on integer microseconds like cxcore's day facts; null stays null."""

    output_field = IntegerField()

    def __init__(self, expression, *, at: dt.datetime):
        super().__init__(expression)
        self.at_us = epoch_us(at)

    def as_sql(self, compiler, connection, **extra_context):
        inner, params = compiler.compile(self.source_expressions[0])
        if connection.vendor == "postgresql":
            us, us_params = f"(EXTRACT(EPOCH FROM {inner}) * 1000000)::bigint", list(params)
        else:
            # Django stores 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC on SQLite. Its date functions round to
            # milliseconds (59.9999995 s becomes the next second), so the fraction is added apart.
            us = (
                f"(CAST(strftime('%%s', substr({inner}, 1, 19)) AS INTEGER) * 1000000"
                f" + CASE WHEN length({inner}) > 19 THEN CAST(substr({inner} || '000000', 21, 6) AS INTEGER)"
                " ELSE 0 END)"
            )
            us_params = [*params, *params, *params]
        return f"((%s - {us}) / {DAY_US})", [self.at_us, *us_params]
