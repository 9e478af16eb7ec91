"""Step 3 of the decision rule (DESIGN.md 7) over a campaign's whole audience, set-based: the caps.

A cap in scope of the campaign's interaction whose condition holds for a customer still allowed after step 2
suppresses their contact when the contacts it counts (membrane.decisions.contacts: outbound, of any team in
its scope, within (at - D, at]) already reach its n. The engine then names the cap binding longest: the
greatest retry time (the n-th latest of those contacts plus D days), the first in the ranking on a tie (`max`
over the matched caps in their order); so does the CASE built here.

The contacts are counted ONCE per statement: one GROUP BY customer over the outbound contacts within the
widest window asked for, a column per (cap, time) counted with FILTER, LEFT JOINed to the facts rows
(`ContactCounts`), so every CASE of the statement reads a column instead of repeating an aggregate over the
contacts under each branch (the conflicts' statement held 352 copies of it). On PostgreSQL the same pass
keeps each window's contact times newest first, for the n-th latest; elsewhere that one is a correlated
subquery on the (customer, occurred_at) index, read only for a customer the cap binds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from functools import reduce
from operator import or_

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Expression,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.lookups import GreaterThanOrEqual, IsNull
from django.db.models.sql.constants import LOUTER

from membrane.decisions.contacts import cap_contacts, cap_window_q, outbound_contacts
from membrane.decisions.engine import CompiledPrinciple

JOINED = "cap_contacts"  # the alias of the joined counts (a name no table has)


@dataclass(frozen=True)
class _Window:
    """What one column of the joined counts counts: a cap's contacts for a contact at `at`."""

    key: tuple  # (cap version, at): caps of one version at one time share the column
    since: dt.datetime
    at: dt.datetime
    counted: Q
    n: int  # the cap's n: a customer with fewer contacts in each window is left out
    times: bool = False  # the window's contact times too, newest first (PostgreSQL)


@dataclass
class ContactCounts:
    """The LEFT JOIN of every window's contacts per customer, an entry of a query's alias_map (Join's interface:
    table_name, table_alias, join_type, parent_alias, nullable, as_sql, relabeled_clone). A column asked for
    later is added by replacing the entry, never by changing it: clones of the query share entries (only
    Query.join sets its alias and join type, as it does a Join's)."""

    parent_alias: str
    windows: tuple[_Window, ...] = ()
    table_alias: str | None = None
    table_name: str = JOINED
    join_type: str = LOUTER
    nullable: bool = True
    filtered_relation: None = None
    join_field: None = None

    def index(self, key: tuple) -> int | None:
        return next((i for i, w in enumerate(self.windows) if w.key == key), None)

    def with_window(self, window: _Window) -> ContactCounts:
        i = self.index(window.key)
        if i is None:
            return replace(self, windows=(*self.windows, window))
        if window.times and not self.windows[i].times:
            return replace(self, windows=(*self.windows[:i], window, *self.windows[i + 1 :]))
        return self

    def as_sql(self, compiler, connection):
        columns = {f"n{i}": Count("pk", filter=w.counted) for i, w in enumerate(self.windows)}
        if connection.vendor == "postgresql":
            from django.contrib.postgres.aggregates import ArrayAgg

            for i, w in enumerate(self.windows):
                if w.times:
                    columns[f"t{i}"] = ArrayAgg("occurred_at", filter=w.counted, order_by="-occurred_at")
        # The widest window bounds the scan (the time index), each column counts its own.
        signals = outbound_contacts().filter(
            reduce(or_, (w.counted for w in self.windows)),
            occurred_at__gt=min(w.since for w in self.windows),
            occurred_at__lte=max(w.at for w in self.windows),
        )
        # Only the customers some cap may bind: with fewer contacts than its n in every window, none does, and the
        # hash the statement joins them from is the smaller (a third of bench campaigns' 300,000).
        binding = reduce(or_, (Q(**{f"n{i}__gte": w.n}) for i, w in enumerate(self.windows)))
        grouped = signals.order_by().values("customer_id").annotate(**columns).filter(binding)
        sql, params = grouped.query.get_compiler(connection=connection).as_sql()
        qn = compiler.quote_name_unless_alias
        alias, parent = qn(self.table_alias), qn(self.parent_alias)
        return f"{self.join_type} ({sql}) {alias} ON ({alias}.customer_id = {parent}.customer_id)", params

    def relabeled_clone(self, change_map: dict) -> ContactCounts:
        return replace(
            self,
            parent_alias=change_map.get(self.parent_alias, self.parent_alias),
            table_alias=change_map.get(self.table_alias, self.table_alias),
        )

    def demote(self) -> ContactCounts:
        return self  # a customer without contacts keeps their row: never an inner join

    promote = demote

    @property
    def identity(self) -> tuple:
        return (self.__class__, self.table_name, self.parent_alias, self.windows)


def _joined(query, window: _Window) -> tuple[str, int]:
    """The alias of `query`'s ContactCounts with `window` among its columns (joined now if missing), and the
    window's index."""
    for alias, join in query.alias_map.items():
        if isinstance(join, ContactCounts):
            query.alias_map[alias] = join = join.with_window(window)
            return alias, join.index(window.key)
    alias = query.join(ContactCounts(query.get_initial_alias(), (window,)))
    return alias, 0


class _Column(Expression):
    """A column of the joined counts, as resolved in one query."""

    def __init__(self, alias: str, column: str, sql: str, output_field):
        super().__init__(output_field=output_field)
        self.alias, self.column, self.sql = alias, column, sql

    def as_sql(self, compiler, connection):
        qualified = f"{compiler.quote_name_unless_alias(self.alias)}.{connection.ops.quote_name(self.column)}"
        return self.sql % qualified, []

    def relabeled_clone(self, relabels):
        return self.__class__(relabels.get(self.alias, self.alias), self.column, self.sql, self.output_field)

    def get_group_by_cols(self):
        return [self]


class Counted(Expression):
    """How many contacts `cap` counts for each customer for a contact at `at`, where it reaches its n (else 0,
    or fewer than n: a count below n binds nothing, and nothing reads it); a column of the query's ContactCounts,
    joined on resolving."""

    output_field = IntegerField()

    def __init__(self, cap: CompiledPrinciple, at: dt.datetime):
        super().__init__()
        self.cap, self.at = cap, at

    @property
    def identity(self) -> tuple:
        return (self.__class__, self.cap.version_id, self.cap.params["n"], self.cap.params["days"], self.at)

    def window(self, times: bool = False) -> _Window:
        since = self.at - dt.timedelta(days=self.cap.params["days"])
        counted = cap_window_q(cap=self.cap, at=self.at)
        return _Window((self.cap.version_id, self.at), since, self.at, counted, self.cap.params["n"], times)

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        alias, i = _joined(query, self.window())
        return _Column(alias, f"n{i}", "COALESCE(%s, 0)", IntegerField())


class _NthLatest(Counted):
    """The n-th latest contact `cap` counts (null with fewer): from the joined times on PostgreSQL."""

    output_field = DateTimeField()

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        n = self.cap.params["n"]
        if connection.vendor != "postgresql":
            contacts = cap_contacts(cap=self.cap, at=self.at).filter(customer_id=OuterRef("customer_id"))
            latest = contacts.order_by("-occurred_at").values("occurred_at")[n - 1 : n]
            return Subquery(latest, output_field=DateTimeField()).resolve_expression(
                query, allow_joins, reuse, summarize, for_save
            )
        alias, i = _joined(query, self.window(times=True))
        return _Column(alias, f"t{i}", f"(%s)[{int(n)}]", DateTimeField())


@dataclass(frozen=True)
class CapColumn:
    """A cap in scope as the CASE reads it: its decider code, where it holds a contact back (its condition and
    its contacts at n), and from when it lets one through (null where it holds none back)."""

    code: int
    binds: Q
    retry_after: Case

    @classmethod
    def of(cls, code: int, cap: CompiledPrinciple, condition: Q, at: dt.datetime) -> CapColumn:
        # The n-th latest contact counted plus D days, as membrane.decisions.engine.cap_retry_after.
        # The count first: most customers have too few contacts, and the condition is not evaluated for them.
        binds = Q(GreaterThanOrEqual(Counted(cap, at), cap.params["n"])) & condition
        days = Value(dt.timedelta(days=cap.params["days"]))
        retry = ExpressionWrapper(_NthLatest(cap, at) + days, output_field=DateTimeField())
        return cls(code, binds, Case(When(binds, then=retry), default=None, output_field=DateTimeField()))


def capped(caps: list[CapColumn], otherwise: Expression) -> Expression:
    """`otherwise` (the code of an allowing step 2), unless a cap holds the contact back: then the code of the
    one binding longest, the first of `caps` (in the engine's order) on a tie. A single cap needs no retry
    time; with k caps each retry time is written k times (columns of the join, or a subquery elsewhere)."""
    if not caps:
        return otherwise
    if len(caps) == 1:
        return Case(When(caps[0].binds, then=Value(caps[0].code)), default=otherwise, output_field=IntegerField())
    whens = []
    for cap in caps:
        binds_longest = Q(IsNull(cap.retry_after, False))
        for other in caps:
            if other is not cap:
                binds_longest &= Q(IsNull(other.retry_after, True)) | Q(
                    GreaterThanOrEqual(cap.retry_after, other.retry_after)
                )
        whens.append(When(binds_longest, then=Value(cap.code)))
    return Case(*whens, default=otherwise, output_field=IntegerField())


def any_binds(caps: list[CapColumn]) -> Q | None:
    """Where some cap holds the contact back (which one aside), None without caps."""
    return reduce(or_, (cap.binds for cap in caps)) if caps else None


def member_columns(caps: list[tuple[CompiledPrinciple, Q]], at: dt.datetime) -> dict[str, Expression]:
    """Per cap, for the reason of a member it holds back: how many contacts it counts and the n-th latest
    (null where its condition does not hold; the count as Counted gives it, exact where the cap holds back)."""
    columns: dict[str, Expression] = {}
    for j, (cap, condition) in enumerate(caps):
        columns[f"cap{j}_count"] = Case(
            When(condition, then=Counted(cap, at)), default=None, output_field=IntegerField()
        )
        columns[f"cap{j}_nth"] = Case(
            When(condition, then=_NthLatest(cap, at)), default=None, output_field=DateTimeField()
        )
    return columns
