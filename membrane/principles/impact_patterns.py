"""The impact preview's one GROUP BY and its patterns, decided all at once as bitsets (see impact.py).

Each condition that can matter is a boolean column: one per condition and values of the interaction
facts it reads (team, category, channel), principles of one condition sharing it, and, for a condition
reading local_hour or weekday, one per local (hour, weekday) that answers it differently, the customer's
own picked afterwards by the pattern's timezone. The WHERE is the principle's old and new conditions
themselves (the planner reads only what they name, in parallel); the customer's timezone and consent
are joined for the rows it keeps (a few of many), looked up by id.

Over a million customers (bench authoring, the machine shared): the statement went from 3.2 s to about
1 s, beside a bare count of the same rows of 0.2-0.3 s; JIT, sorting and a spilling hash were the
earlier costs (planned_for_wide_rows), the day counts' arithmetic is not one (it runs on the kept rows).

A pattern is a distinct row of those columns with its count and its first and last customer id. A
column becomes an integer whose bit i says whether it holds for pattern i, so the decision rule walks
the principles in scope once for all patterns.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from itertools import product

from django.db import connection, transaction
from django.db.models import BooleanField, Case, CharField, Count, F, Max, Min, Q, QuerySet, TextField, Value, When
from django.db.models.functions import Cast

import membrane.expressions.ast as ast
from membrane.decisions.facts import WEEKDAYS
from membrane.expressions import Checked, compile_python, compile_sql
from membrane.stored_facts import (
    LOCAL_TIME,
    customer_timezones,
    local_at,
    local_time_columns,
    stored_fact_columns,
)

INTERACTION = ("team", "category", "channel")
TIMEZONE, CONSENT = "tz", "consent"


def condition_columns(checked: Checked, at: dt.datetime, constants: Mapping[str, object]) -> dict:
    """The columns a condition reads over CustomerFacts: the stored facts, `constants` for the interaction
    facts (absent ones null), and local time from the joined customer when it reads it and no constant says."""
    columns = stored_fact_columns(at=at, direct=True)
    columns.update({name: Value(constants.get(name), output_field=CharField()) for name in INTERACTION})
    if any(name in LOCAL_TIME and name not in constants for name in checked.facts_read):
        columns.update(local_time_columns(at=at, timezones=customer_timezones()))
    columns.update({name: Value(value) for name, value in constants.items() if name in LOCAL_TIME})
    return columns


def holds(condition: Q) -> Case:
    """A condition as a never-null boolean column."""
    return Case(When(condition, then=Value(True)), default=Value(False), output_field=BooleanField())


@contextmanager
def planned_for_wide_rows():
    """PostgreSQL's JIT spends longer compiling these wide CASE expressions than the scan takes (8 s against
    under 1 s over a million customers): the statements run with it off, in a transaction of their own, and
    group by hashing, with the memory to hash the joined rows and the patterns without spilling them to disk."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
                cursor.execute("SET LOCAL work_mem = '128MB'")
                # Not knowing how few rows the conditions keep, the planner would sort them on every column.
                cursor.execute("SET LOCAL enable_sort = off")
        yield


class Terms:
    """The columns of the GROUP BY, by term: a principle (its version id) with the interaction values it reads."""

    def __init__(self, at: dt.datetime):
        self.at = at
        self.columns: dict[tuple, dict] = {}  # term -> {local variant or None: column name}
        self.expressions: dict[str, Case] = {}
        self.conditions: dict[str, Q] = {}  # column name -> its condition, for the WHERE
        self._named: dict[tuple, str] = {}  # (condition, constants) -> column name
        self._variants: dict[str, tuple[int, str]] | None = None

    def variants(self) -> dict[str, tuple[int, str]]:
        """timezone -> its (local_hour, weekday) at `at`, read once, when a condition reads local time."""
        if self._variants is None:
            self._variants = {name: local_at(at=self.at, timezone_name=name) for name in customer_timezones()}
        return self._variants

    def of(self, key: int, checked: Checked, interaction: Mapping[str, str | None]) -> tuple:
        values = tuple((name, interaction.get(name)) for name in INTERACTION if name in checked.facts_read)
        term = (key, values)
        if term not in self.columns:
            local = any(name in LOCAL_TIME for name in checked.facts_read)
            self.columns[term] = {}
            for variant, alike in (self._local_variants(checked) if local else {None: None}).items():
                constants = dict(values)
                if alike is not None:
                    constants.update(local_hour=alike[0], weekday=alike[1])
                self.columns[term][variant] = self._column(checked, constants)
        return term

    def _local_variants(self, checked: Checked) -> dict[tuple[int, str], tuple[int, str]]:
        """Each local (hour, weekday) a customer may be at -> the one whose column stands for it.

        When the condition reads local time only by comparing it with literals, every hour of every
        weekday is covered, those that answer each comparison alike sharing one column (`local_hour <
        20`: two columns), and the customers' timezones need not be read (a scan of the customers table).
        Otherwise one column per local time among the customers' timezones."""
        atoms = _local_atoms(checked.node)
        if atoms is None:
            return {variant: variant for variant in sorted(set(self.variants().values()))}
        answers = [compile_python(Checked(checked.source, atom, [], checked.facts)) for atom in atoms]
        first: dict[tuple, tuple[int, str]] = {}
        alike = {}
        for variant in product(range(24), WEEKDAYS):
            local = {"local_hour": variant[0], "weekday": variant[1]}
            alike[variant] = first.setdefault(tuple(answer(local) for answer in answers), variant)
        return alike

    def _column(self, checked: Checked, constants: dict) -> str:
        """The column of a condition with these constants; principles of one condition share it (over a
        million customers each column costs its CASE on every row kept and a key of the hash)."""
        key = (checked.source, tuple(sorted(constants.items())))
        if key not in self._named:
            name = self._named[key] = f"c{len(self.expressions)}"
            self.conditions[name] = compile_sql(checked, condition_columns(checked, self.at, constants))
            self.expressions[name] = holds(self.conditions[name])
        return self._named[key]

    def reads_local_time(self) -> bool:
        return any(None not in names for names in self.columns.values())

    def holding(self, terms: Iterable[tuple]) -> Q:
        """Some column of these terms holds (in any local variant: a superset, harmless for a pre-filter).

        The conditions themselves, not their CASE columns: the planner sees through them, so it reads
        only the stages they name (by index), can drop the outer join and scans in parallel (3.2 s
        against 1.7 s over a million customers)."""
        q = Q()
        for term in terms:
            for name in dict.fromkeys(self.columns[term].values()):
                q |= self.conditions[name]
        return q


def patterns_read(queryset: QuerySet, terms: Terms, *, where: Q, consent: bool) -> tuple[list[str], list[tuple]]:
    """The GROUP BY: (its column names, its rows: the columns, then count, first and last customer id)."""
    annotations = dict(terms.expressions)
    # Joined, not read by a subquery per row: a join runs in the parallel workers (a subquery in the
    # select list is evaluated by the leader alone), and the planner looks up only the rows kept.
    if terms.reads_local_time():
        annotations[TIMEZONE] = F("customer__timezone")
    if consent:
        # As text: the few distinct profiles are parsed once each, not once per pattern.
        annotations[CONSENT] = Cast("customer__consent", TextField())
    group = list(annotations)
    with planned_for_wide_rows():
        rows = list(
            queryset.annotate(**annotations)
            .filter(where)
            .values(*group)
            .annotate(n=Count("pk"), first=Min("customer_id"), last=Max("customer_id"))
            .values_list(*group, "n", "first", "last")
            .order_by()
        )
    return group, rows


class Bits:
    """The patterns as bitsets: per column, per term (its customers' own local variant picked), per consent."""

    def __init__(self, terms: Terms, group: list[str], rows: list[tuple]):
        self.rows = rows
        self.everyone = (1 << len(rows)) - 1
        index = {name: i for i, name in enumerate(group)}
        # The GROUP BY's columns start with the expressions' (patterns_read).
        column = dict(zip(terms.expressions, _bitsets(rows, len(terms.expressions)), strict=True))
        by_variant: dict[tuple[int, str], int] = {}
        if TIMEZONE in index:
            at = index[TIMEZONE]
            variants = {name: local_at(at=terms.at, timezone_name=name) for name in {row[at] for row in rows}}
            for i, row in enumerate(rows):
                variant = variants[row[at]]
                by_variant[variant] = by_variant.get(variant, 0) | (1 << i)
        self.term: dict[tuple, int] = {}
        for term, names in terms.columns.items():
            if None in names:
                self.term[term] = column[names[None]]
            else:
                self.term[term] = 0
                for variant, name in names.items():
                    self.term[term] |= column[name] & by_variant.get(variant, 0)
        self._consent_index = index.get(CONSENT)
        self._consented: dict[str, int] = {}

    def consented(self, channel: str) -> int:
        """The patterns whose customers consent to `channel` (as Customer.has_consent reads the profile)."""
        if channel not in self._consented:
            at = self._consent_index
            profiles = {text: json.loads(text) if text else {} for text in {row[at] for row in self.rows}}
            self._consented[channel] = sum(1 << i for i, row in enumerate(self.rows) if profiles[row[at]].get(channel))
        return self._consented[channel]


_DIGITS = bytes.maketrans(b"\x00\x01", b"01")


def _local_atoms(node: ast.Node) -> list[ast.Compare] | None:
    """The comparisons of local time with literals in a condition; None if it reads local time otherwise."""
    atoms, pending = [], [node]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Fact) and node.name in LOCAL_TIME:
            return None
        if isinstance(node, ast.Compare):
            sides = (node.left, node.right)
            local = [side for side in sides if isinstance(side, ast.Fact) and side.name in LOCAL_TIME]
            if local:
                if not all(side in local or isinstance(side, (ast.Literal, ast.ListLiteral)) for side in sides):
                    return None
                atoms.append(node)
                continue
        pending.extend(ast.children(node))
    return atoms


def _bitsets(rows: list[tuple], columns: int) -> list[int]:
    """The first `columns` columns of `rows` (booleans) as bitsets, bit i for row i."""
    if not rows:
        return [0] * columns
    # Transposed and read as base-2 digits in C: a join per cell costs a third of the preview's Python.
    return [int(bytes(values[::-1]).translate(_DIGITS), 2) for values in list(zip(*rows, strict=True))[:columns]]


def suppressed(ranked: Iterable[tuple[int, str]], everyone: int) -> int:
    """The patterns suppressed by step 2 of the rule: `ranked` gives, in the engine's order, the bitset of
    each allow/suppress in scope and its effect; per pattern the first that holds decides, none allows."""
    undecided, result = everyone, 0
    for holding, effect in ranked:
        hit = holding & undecided
        if effect == "suppress":
            result |= hit
        undecided &= ~hit
    return result


def indices(bits: int) -> list[int]:
    text = bin(bits)[:1:-1]  # lowest bit first
    # str.find skips the zeros in C: most bitsets are sparse.
    found, i = [], text.find("1")
    while i >= 0:
        found.append(i)
        i = text.find("1", i + 1)
    return found
