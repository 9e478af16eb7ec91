"""Day counts (docs/expressions.md, "Day counts"): the exact duration since an instant, read in days.

A day count (tenure_days, days_since_last_purchase, days_in_stage, ...) is the duration from the
instant it counts from to T, in whole microseconds: never rounded to days. Comparing it with a
number n of days compares durations exactly: `d > 3` holds once more than 3 x 24 h have passed
(3 days and 10 hours: it holds), `d >= 2.5` from 60 hours on. Equality compares whole days, so
`d == 3` holds through the fourth day ([3 days, 4 days)); a whole-day count is also what a day
count shows (its int value, JSON). Python (`DayCount`, `bound_us`) and SQL (`DaysSince`, the
integer microseconds; `bound_us` gives the integer bound) compare the same integers, no float
anywhere, so both back-ends agree exactly.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from fractions import Fraction

from django.db.models import BigIntegerField, DateTimeField, Func, Q, Value
from django.db.models.lookups import GreaterThan, GreaterThanOrEqual, IsNull, LessThan, LessThanOrEqual

from .sql import DAY_US, Dialect

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def epoch_us(at: dt.datetime) -> int:
    """Integer microseconds since 1970 (exact, unlike a float timestamp)."""
    delta = at - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def duration_us(delta: dt.timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


class DayCount(int):
    """A day count's value: the whole days elapsed (the int itself: what == and JSON see) of the exact
    duration `us`, which <, <=, >, >= compare (a number on the other side is a number of days)."""

    us: int

    def __new__(cls, us: int) -> DayCount:
        count = super().__new__(cls, us // DAY_US)
        count.us = us
        return count

    def __reduce__(self):
        return DayCount, (self.us,)

    def __repr__(self) -> str:
        return f"DayCount({int(self)} days, us={self.us})"

    # str() and format() show the whole days, as an int does.
    __str__ = int.__repr__

    def __eq__(self, other):
        # Two day counts are equal when their durations are (the expression language compares their whole days
        # with ==: to_python); against a number, the whole days are, as for an int.
        if isinstance(other, DayCount):
            return self.us == other.us
        return int.__eq__(self, other)

    def __ne__(self, other):
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __lt__(self, other):
        other_us = _other_us(other)
        return NotImplemented if other_us is None else self.us < other_us

    def __le__(self, other):
        other_us = _other_us(other)
        return NotImplemented if other_us is None else self.us <= other_us

    def __gt__(self, other):
        other_us = _other_us(other)
        return NotImplemented if other_us is None else self.us > other_us

    def __ge__(self, other):
        other_us = _other_us(other)
        return NotImplemented if other_us is None else self.us >= other_us

    __hash__ = int.__hash__


def _other_us(other) -> int | Fraction | None:
    """The other side of an ordering with a day count, in microseconds (exact): a day count's, or a number of days."""
    if isinstance(other, DayCount):
        return other.us
    if isinstance(other, bool) or not isinstance(other, int | Decimal | float):
        return None
    return Fraction(other) * DAY_US


def day_count(then: dt.datetime | None, at: dt.datetime) -> DayCount | None:
    """The day count from `then` to `at`; null when `then` is null or later than `at`."""
    return None if then is None or then > at else DayCount(duration_us(at - then))


def as_us(value) -> int:
    """A day count's value in microseconds: a DayCount's own, or a number of days (an example's value, a
    count worked out elsewhere), to the microsecond below."""
    if isinstance(value, DayCount):
        return value.us
    if isinstance(value, int):
        return value * DAY_US
    return math.floor(Fraction(value) * DAY_US)


def bound_us(op: str, days: int | Decimal) -> int:
    """The integer b such that, for every whole number of microseconds us, `us op b` says `us op days x 1 day`.

    A bound between two microseconds is rounded towards the side the comparison keeps: `> 0.5 us` is
    `> 0`, `>= 0.5 us` is `>= 1`.
    """
    exact = Fraction(days) * DAY_US
    return math.floor(exact) if op in (">", "<=") else math.ceil(exact)


def whole_day_range(days: int | Decimal) -> tuple[int, int] | None:
    """The microseconds [lo, hi) of the whole day `days` (d == days); None for a number that is not whole."""
    if days != int(days):
        return None
    lo = int(days) * DAY_US
    return lo, lo + DAY_US


def flip_offsets(days: int | Decimal) -> set[float]:
    """The offsets after the instant a day count counts from at which its comparison with `days` can change
    truth: at `days` (>=, <: from that instant on), one microsecond after (>, <=: strictly after it), and for a
    whole number the end of that day (==, != and in compare whole days).

    In days, as floats that `offset * timedelta(days=1)` turns back into the exact microsecond: over the ten
    years of days a rule may count (stages.rules.MAX_DAY_CONSTANT), a double is within 0.04 us of it.
    """
    exact = Fraction(days) * DAY_US
    offsets = {math.ceil(exact), math.floor(exact) + 1}
    if Fraction(days).denominator == 1:
        offsets.add(int(exact) + DAY_US)
    return {us / DAY_US for us in offsets}


class DaysSince(Func):
    """A day count in SQL: the exact duration from a column to `at`, in integer microseconds (like cxcore's day
    facts and the expression language's comparisons of them); null stays null, and with `null_after_at` a
    column later than `at` gives null too (a fact whose instant may come after T).

    A comparison with a constant (`compared`) and the null test (`null_q`) read the column itself: `count > b`
    is `column < at - b`, the bound worked out once instead of the count per row (exact: both are whole
    microseconds), and a plain comparison of the column, which an index can serve."""

    output_field = BigIntegerField()

    def __init__(self, expression, *, at: dt.datetime, null_after_at: bool = False):
        super().__init__(expression)
        self.at, self.at_us, self.null_after_at = at, epoch_us(at), null_after_at

    def as_sql(self, compiler, connection, **extra_context):
        inner, params = compiler.compile(self.source_expressions[0])
        if params:
            # The dialect may repeat the expression (SQLite): a column has no parameters to repeat with it.
            raise ValueError("DaysSince counts from a column, not from an expression with parameters")
        days = f"(%s - {Dialect(connection.vendor).epoch_us(inner)})"
        if not self.null_after_at:
            return days, [self.at_us]
        return f"CASE WHEN {inner} > %s THEN NULL ELSE {days} END", [
            connection.ops.adapt_datetimefield_value(self.at),
            self.at_us,
        ]

    def _instant(self) -> Value:
        return Value(self.at, output_field=DateTimeField())

    def null_q(self, null: bool) -> Q:
        """Where the count is null (`null`) or not, from the column alone."""
        column = self.source_expressions[0]
        if null:
            q = Q(IsNull(column, True))
            return q | Q(GreaterThan(column, self._instant())) if self.null_after_at else q
        q = Q(IsNull(column, False))
        return q & Q(LessThanOrEqual(column, self._instant())) if self.null_after_at else q

    def compared(self, op: str, bound: int) -> Q:
        """`count op bound` (bound in microseconds, op one of < <= > >=) where the count is not null; where it is,
        the answer is not true (callers AND `null_q(False)`, as for any comparison with a null)."""
        try:
            instant = self.at - dt.timedelta(microseconds=bound)
        except OverflowError:
            # Beyond the dates a column can hold: the count itself is compared.
            return Q(_COUNT_LOOKUPS[op](self, Value(bound)))
        # at - column op bound  <=>  column (op mirrored) at - bound
        return Q(_COLUMN_LOOKUPS[op](self.source_expressions[0], Value(instant, output_field=DateTimeField())))


_COUNT_LOOKUPS = {"<": LessThan, "<=": LessThanOrEqual, ">": GreaterThan, ">=": GreaterThanOrEqual}
_COLUMN_LOOKUPS = {"<": GreaterThan, "<=": GreaterThanOrEqual, ">": LessThan, ">=": LessThanOrEqual}
