"""How a fact folds a customer's profile and signals as of T: each fold in Python and in SQL, side by side.

The two ways must agree exactly:

- Python: `python(customer, summary, at)`, the fact at T over `Summary`, the customer's signals up
  to T grouped by kind (rows of SIGNAL_COLUMNS), with what several folds share (the tickets) folded
  once. `customer` is a Customer or any object with its profile fields and created_at.
- SQL: aggregates at the statement's levels (set_based.py): `level1` per (customer, ticket_ref),
  `per_ticket` beside each such group, `level2` per customer (the CTE `kc`), optional CTEs of its
  own joined per customer (`ctes`), then `stored`, the stored column over the customer row `c` and
  those: the fact itself, or for a day count the instant it counts from (catalogue.FactDef.read).
  Aggregates are named: two folds may share one by naming it alike with the same SQL. `expiries`
  are the instants (epoch microseconds) after T at which time alone changes a count.

`key` is the fact's stored column; a fold names the aggregates only it uses after it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from operator import itemgetter
from typing import Any

from django.db import models

from cxcore.signal_kinds import SignalKind

from .days import DayCount, day_count
from .sql import DAY_US, Dialect, count, kind_is, literal, total, window_start

DAY = dt.timedelta(days=1)
# The columns of a signal the facts read, in the order of a Summary's rows (KIND... are their positions);
# the membrane's event-time and decision paths read signals in this shape to give them to the facts.
SIGNAL_COLUMNS = ("kind", "direction", "occurred_at", "ticket_ref", "issue_key", "severity", "score", "scale")
KIND, DIRECTION, OCCURRED_AT, TICKET_REF, ISSUE_KEY, SEVERITY, SCORE, SCALE = range(len(SIGNAL_COLUMNS))
_occurred_at = itemgetter(OCCURRED_AT)
# A clock (Fold.clock_from) that starts at any signal, or at the start of tenure.
ANY_SIGNAL = "*"
START = "start"


def days_since(then: dt.datetime | None, at: dt.datetime) -> DayCount | None:
    """The day count from `then` to `at` (its exact duration; catalogue.py's docstring: days); null when `then`
    is null or later."""
    return day_count(then, at)


@cache
def window(days: int) -> dt.timedelta:
    return dt.timedelta(days=days)


class _BeforeAnyInstant:
    """Earlier than every datetime (which cannot lie before year 1)."""

    def __lt__(self, other: dt.datetime) -> bool:
        return True

    def __gt__(self, other: dt.datetime) -> bool:
        return False


_BEFORE_ANY_INSTANT = _BeforeAnyInstant()


def window_since(at: dt.datetime, days: int) -> dt.datetime | _BeforeAnyInstant:
    """The start of the `days` days up to `at` (a signal later than it is in them). Within `days` of year 1 (a
    stored signal's instant can be), the window reaches back past every instant: `at - days` would overflow."""
    try:
        return at - window(days)
    except OverflowError:
        return _BEFORE_ANY_INSTANT


def kinds_of(*kinds: str) -> tuple[str, ...]:
    """Plain strings: a TextChoices member hashes by its name, so it would not match a kind read from the database."""
    return tuple(str(kind) for kind in kinds)


class Summary:
    """A customer's signals up to T (rows of SIGNAL_COLUMNS, in any order) grouped by kind, and what several
    facts share (the tickets), folded once on first use."""

    __slots__ = ("at", "rows", "by_kind", "_shared")

    def __init__(self, rows, *, at: dt.datetime):
        self.at = at
        self.rows = rows
        self.by_kind = by_kind = defaultdict(list)
        for row in rows:
            by_kind[row[KIND]].append(row)
        self._shared: dict[Callable, Any] = {}

    def shared(self, fold: Callable[[Summary], Any]) -> Any:
        """`fold(self)`, computed once for every fact that reads it."""
        try:
            return self._shared[fold]
        except KeyError:
            value = self._shared[fold] = fold(self)
            return value


class Fold:
    """The protocol (see the module docstring); subclasses are frozen dataclasses."""

    # What time alone does to the fact, for the event-time evaluation to know its instants: a windowed
    # count loses a signal `window_days` after it happened; a day count (`counts_days`, stored as the
    # instant it counts from) is the time elapsed since then (days.py). Their clocks start at the signals
    # of the kinds in `clock_from`, at ANY_SIGNAL or at START.
    window_days: int | None = None
    counts_days = False
    clock_from: tuple[str, ...] = ()
    # The instant a day count starts from may be later than T (the fact is then null).
    may_start_after_t = False

    def python(self, customer, summary: Summary, at: dt.datetime) -> Any:
        """The fact at `at` (`summary` holds the signals up to `at`)."""
        raise NotImplementedError

    def field(self) -> models.Field:
        """The stored column's model field."""
        raise NotImplementedError

    def level1(self, d: Dialect, key: str) -> dict[str, str]:
        return {}

    def per_ticket(self, d: Dialect, key: str) -> dict[str, str]:
        return {}

    def level2(self, d: Dialect, key: str) -> dict[str, str]:
        return {}

    def ctes(self, d: Dialect, key: str, *, signals: str, customers: str) -> dict[str, str]:
        """CTEs with a `cid` column, each joined to the customer row: `signals` is the signal table, `customers`
        the condition on `s.customer_id` that picks the statement's customers."""
        return {}

    def stored(self, d: Dialect, key: str) -> str:
        raise NotImplementedError

    def expiries(self, d: Dialect, key: str) -> list[str]:
        return []

    def profile_changed(self, d: Dialect, key: str, alias: str) -> str | None:
        """For a fold of the profile: the customer row `c` no longer gives the value stored in row `alias`."""
        return None


@dataclass(frozen=True)
class Profile(Fold):
    """A field of the customer's profile as it stands; `blank_is_null`: an empty text reads as null."""

    column: str
    # The stored column, shaped like the profile's field.
    make_field: Callable[[], models.Field]
    blank_is_null: bool = False
    # A decimal's value as the stored column gives it back (lifetime_value: to the cent).
    _quantum: Decimal | None = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        places = getattr(self.make_field(), "decimal_places", None)
        object.__setattr__(self, "_quantum", None if places is None else Decimal(1).scaleb(-places))

    def python(self, customer, summary: Summary, at: dt.datetime) -> Any:
        value = getattr(customer, self.column)
        if self.blank_is_null:
            return value or None
        return value if self._quantum is None else Decimal(value).quantize(self._quantum)

    def field(self) -> models.Field:
        made = self.make_field()
        made.null = self.blank_is_null
        return made

    def stored(self, d: Dialect, key: str) -> str:
        return f"NULLIF(c.{self.column}, '')" if self.blank_is_null else f"c.{self.column}"

    def profile_changed(self, d: Dialect, key: str, alias: str) -> str:
        if self.blank_is_null:
            return d.distinct(self.stored(d, key), f"{alias}.{key}")
        return f"{self.stored(d, key)} <> {alias}.{key}"


def _first_at(summary: Summary) -> dt.datetime | None:
    return min(map(_occurred_at, summary.rows), default=None)


@dataclass(frozen=True)
class Tenure(Fold):
    """Since the customer began: the earlier of the profile's creation and their first signal of any kind."""

    counts_days = True
    clock_from = (START,)
    # A customer created after T has not begun (their row then expires at the creation).
    may_start_after_t = True

    def python(self, customer, summary: Summary, at: dt.datetime) -> DayCount | None:
        first_at = summary.shared(_first_at)
        start = customer.created_at if first_at is None or customer.created_at < first_at else first_at
        return days_since(start, at)

    def field(self) -> models.Field:
        return models.DateTimeField()

    def level1(self, d: Dialect, key: str) -> dict[str, str]:
        return {"first_at": "MIN(s.occurred_at)"}

    def level2(self, d: Dialect, key: str) -> dict[str, str]:
        return {"first_at": "MIN(first_at)"}

    def stored(self, d: Dialect, key: str) -> str:
        return "(CASE WHEN kc.first_at IS NULL OR c.created_at < kc.first_at THEN c.created_at ELSE kc.first_at END)"

    def expiries(self, d: Dialect, key: str) -> list[str]:
        start = self.stored(d, key)
        return [f"CASE WHEN {start} > %(at)s THEN {d.epoch_us(start)} END"]


@dataclass(frozen=True)
class _OfKinds(Fold):
    kinds: tuple[str, ...]
    # Only the signals of this direction (contacts: outbound); None = either.
    direction: str | None = field(default=None, kw_only=True)

    def __post_init__(self):
        object.__setattr__(self, "kinds", kinds_of(*self.kinds))
        if self.direction is not None:
            object.__setattr__(self, "direction", str(self.direction))

    @property
    def clock_from(self) -> tuple[str, ...]:
        return self.kinds

    def _rows(self, summary: Summary) -> list[tuple] | tuple:
        """The signals of the kinds, of the direction if one is set."""
        if self.direction is None and len(self.kinds) == 1:
            return summary.by_kind.get(self.kinds[0], ())
        direction = self.direction
        return [
            row
            for kind in self.kinds
            for row in summary.by_kind.get(kind, ())
            if direction is None or row[DIRECTION] == direction
        ]

    def _is(self) -> str:
        if self.direction is None:
            return kind_is(self.kinds)
        return f"{kind_is(self.kinds)} AND s.direction = {literal(self.direction)}"


class WindowCount:
    """A count over the last `days` days whose per-customer aggregate keeps, as `<key>_from`, the earliest
    signal it counted: the stored row expires when that signal leaves the window."""

    days: int

    @property
    def window_days(self) -> int:
        return self.days

    def stored(self, d: Dialect, key: str) -> str:
        return f"COALESCE(kc.{key}, 0)"

    def expiries(self, d: Dialect, key: str) -> list[str]:
        return [f"{d.epoch_us(f'kc.{key}_from')} + {self.days} * {DAY_US}"]


@dataclass(frozen=True)
class CountInWindow(WindowCount, _OfKinds):
    """Signals of `kinds` in the last `days` days (T - days < occurred_at <= T)."""

    days: int

    def python(self, customer, summary: Summary, at: dt.datetime) -> int:
        since = window_since(at, self.days)
        n = 0
        for row in self._rows(summary):
            if row[OCCURRED_AT] > since:
                n += 1
        return n

    def field(self) -> models.Field:
        return models.IntegerField()

    def _in_window(self) -> str:
        return f"{self._is()} AND s.occurred_at > {window_start(self.days)}"

    def level1(self, d: Dialect, key: str) -> dict[str, str]:
        # The earliest signal in the window: the row expires when it leaves.
        return {
            key: count(self._in_window()),
            f"{key}_from": f"MIN(CASE WHEN {self._in_window()} THEN s.occurred_at END)",
        }

    def level2(self, d: Dialect, key: str) -> dict[str, str]:
        return {key: total(key), f"{key}_from": f"MIN({key}_from)"}


@dataclass(frozen=True)
class DaysSinceLatest(_OfKinds):
    """The day count since the latest signal of `kinds`; null when none."""

    counts_days = True

    def python(self, customer, summary: Summary, at: dt.datetime) -> DayCount | None:
        latest = None
        for row in self._rows(summary):
            if latest is None or row[OCCURRED_AT] > latest:
                latest = row[OCCURRED_AT]
        return days_since(latest, at)

    def field(self) -> models.Field:
        return models.DateTimeField(null=True)

    def level1(self, d: Dialect, key: str) -> dict[str, str]:
        return {key: f"MAX(CASE WHEN {self._is()} THEN s.occurred_at END)"}

    def level2(self, d: Dialect, key: str) -> dict[str, str]:
        return {key: f"MAX({key})"}

    def stored(self, d: Dialect, key: str) -> str:
        return f"kc.{key}"


def survey_tenths(score: Decimal | None, scale: int | None) -> int | None:
    """A response's score on 0-100 tenths (half up), or None when it does not count."""
    if score is None or not scale or score < 0 or score > scale:
        return None
    cents = int(score * 100)
    return (2 * cents + scale) // (2 * scale)


@dataclass(frozen=True)
class LatestSurveyScore(Fold):
    """The latest counting survey response's score on 0-10 (catalogue.py's docstring: surveys)."""

    kind = str(SignalKind.SURVEY_RESPONSE)

    def python(self, customer, summary: Summary, at: dt.datetime) -> Decimal | None:
        latest = None
        for row in summary.by_kind.get(self.kind, ()):
            tenths = survey_tenths(row[SCORE], row[SCALE])
            # The latest wins; at the same instant, the higher score.
            if tenths is not None and (latest is None or (row[OCCURRED_AT], tenths) > latest):
                latest = (row[OCCURRED_AT], tenths)
        return None if latest is None else (Decimal(latest[1]) / 10).quantize(Decimal("0.1"))

    def field(self) -> models.Field:
        return models.DecimalField(max_digits=3, decimal_places=1, null=True)

    def level1(self, d: Dialect, key: str) -> dict[str, str]:
        counts = f"{kind_is((self.kind,))} AND s.score >= 0 AND s.scale > 0 AND s.score <= s.scale"
        # The latest response packed with its score in tenths: max() picks the latest, then the higher score.
        packed = f"{d.epoch_us('s.occurred_at')} * 1000 + (2 * {d.cents('s.score')} + s.scale) / (2 * s.scale)"
        return {"survey_key": f"MAX(CASE WHEN {counts} THEN {packed} END)"}

    def level2(self, d: Dialect, key: str) -> dict[str, str]:
        return {"survey_key": "MAX(survey_key)"}

    def stored(self, d: Dialect, key: str) -> str:
        return "(kc.survey_key %% 1000) / 10.0"
