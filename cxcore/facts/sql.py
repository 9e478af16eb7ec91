"""What the facts' SQL is written with: one dialect object and one placeholder style.

Every fragment is pyformat (`%(at)s`, `%(t30)s`: the window's start, `at` - 30 days), so a literal
percent sign is `%%`. Times are compared in the database's own representation (SQLite: Django's
UTC text, which sorts like the instants) and turned into integer epoch microseconds only for day
counts (their exact durations: days.py) and expiries, so both databases agree with Python exactly.
PostgreSQL and SQLite differ only in `Dialect`.
"""

from __future__ import annotations

import datetime as dt
import json

from django.db import connection

DAY_US = 86_400_000_000


class Dialect:
    """The few spots where PostgreSQL and SQLite differ."""

    def __init__(self, vendor: str):
        if vendor not in ("postgresql", "sqlite"):
            raise NotImplementedError(f"the set-based facts support PostgreSQL and SQLite, not {vendor}")
        self.vendor = vendor

    @property
    def postgresql(self) -> bool:
        return self.vendor == "postgresql"

    def epoch_us(self, expr: str) -> str:
        """An integer count of microseconds since 1970 for a datetime column or expression."""
        if self.postgresql:
            return f"(EXTRACT(EPOCH FROM {expr}) * 1000000)::bigint"
        # Django stores 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC. SQLite's date functions round to
        # milliseconds (59.9999995 s becomes the next second), so the fraction is added apart.
        return (
            f"(CAST(strftime('%%s', substr({expr}, 1, 19)) AS INTEGER) * 1000000"
            f" + CASE WHEN length({expr}) > 19 THEN CAST(substr({expr} || '000000', 21, 6) AS INTEGER) ELSE 0 END)"
        )

    def days(self, expr: str) -> str:
        """The day count from `expr` to %(at)s: the exact duration in integer microseconds (days.py); `expr` is
        never later than %(at)s."""
        # The epochs' difference, as in DaysSince: exact on both databases, and on PostgreSQL cheaper than
        # summing the fields of the interval `at - expr`.
        return f"(%(at_us)s - {self.epoch_us(expr)})"

    def whole_days(self, us: str) -> str:
        """The whole days of a day count `us` (never negative, so integer division is the floor): what it shows."""
        return f"({us} / {DAY_US})"

    def cents(self, expr: str) -> str:
        """A decimal with two places as an exact integer of hundredths."""
        if self.postgresql:
            return f"({expr} * 100)::bigint"
        return f"CAST(round({expr} * 100) AS INTEGER)"

    def least(self, exprs: list[str]) -> str:
        """The smallest non-null value; null when all are null."""
        if self.postgresql:
            return f"LEAST({', '.join(exprs)})"
        # SQLite's min() of several arguments is null as soon as one is.
        never = str(2**62)
        return f"NULLIF(min({', '.join(f'COALESCE({e}, {never})' for e in exprs)}), {never})"

    def distinct(self, left: str, right: str) -> str:
        """`left` and `right` differ, a null differing from any value but null."""
        return f"{left} {'IS DISTINCT FROM' if self.postgresql else 'IS NOT'} {right}"

    def in_ids(self, column: str) -> str:
        if self.postgresql:
            return f"{column} = ANY(%(ids)s)"
        return f"{column} IN (SELECT value FROM json_each(%(ids)s))"

    def ids_param(self, ids: list[int]):
        return ids if self.postgresql else json.dumps(ids)

    def datetime_param(self, value: dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)


def window_param(days: int) -> str:
    """The parameter holding a window's start, `at` - `days` days (set_based.facts_params gives its value)."""
    return f"t{days}"


def window_start(days: int) -> str:
    return f"%({window_param(days)})s"


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def kind_is(kinds: tuple[str, ...]) -> str:
    """The signal `s` is of one of `kinds`."""
    if len(kinds) == 1:
        return f"s.kind = {literal(kinds[0])}"
    return f"s.kind IN ({', '.join(literal(kind) for kind in kinds)})"


# Counts stay 4-byte integers at every level: PostgreSQL sums bigints into numeric, whose
# per-group state is large and slow.
def count(condition: str) -> str:
    return f"CAST(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END) AS INTEGER)"


def total(expr: str) -> str:
    return f"CAST(SUM({expr}) AS INTEGER)"
