"""Compile a checked expression to a Django Q of lookups: a SQL predicate with every value bound.

Null semantics are those of to_python (docs/expressions.md). SQL's own three-valued logic would
make `not (x > 3)` unknown when x is null, so each comparison is built never to be NULL: it is
ANDed with `IS NOT NULL` for every fact it reads, and `x == null` / `x != null` become IS NULL /
IS NOT NULL. And, or and not of never-null terms are never null, so NOT means what it says.
The Q holds lookup expressions, not keyword lookups, so Django adds no null handling of its own.

A day count's column gives its exact duration in integer microseconds (cxcore.facts.days.DaysSince);
compared with n days it is compared with the integer bound `bound_us` gives, which to_python uses
too, and with ==, != and in by the range of microseconds of a whole day: integer arithmetic only,
never a float (docs/expressions.md, "Day counts"). A DaysSince compares its instant's column with the
instant `at` less the bound instead (the same microseconds), and tests null on the column.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import BigIntegerField, Expression, ExpressionWrapper, F, Q, Value
from django.db.models.lookups import Exact, GreaterThan, GreaterThanOrEqual, In, IsNull, LessThan, LessThanOrEqual

# The module by its name: `from . import ast` imports the package, which imports this module.
import membrane.expressions.ast as ast
from cxcore.facts.days import DAY_US, DaysSince, bound_us, whole_day_range

from .check import Checked
from .to_python import _evaluate_constant

_LOOKUPS = {
    "==": Exact,
    "<": LessThan,
    "<=": LessThanOrEqual,
    ">": GreaterThan,
    ">=": GreaterThanOrEqual,
}
_TRUE = Q(Exact(Value(1), Value(1)))
_FALSE = Q(Exact(Value(1), Value(0)))
_MIRROR = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


def compile_sql(checked: Checked, columns: Mapping[str, Expression | str]) -> Q:
    """A Q for .filter(), When(...) or ExpressionWrapper(..., BooleanField()) in .annotate().

    `columns` maps each fact read to an expression: a field path ("lifetime_value"), an F(), an
    annotation, or a Value for the interaction context (team, channel, ...).
    """
    missing = [name for name in checked.facts_read if name not in columns]
    if missing:
        raise ValueError(f"no column given for fact(s): {', '.join(missing)}")
    resolved = {name: F(col) if isinstance(col, str) else col for name, col in columns.items()}
    days = frozenset(name for name, spec in checked.facts.items() if spec.days)
    return _Compiler(resolved, days).condition(checked.node)


class _Compiler:
    def __init__(self, columns: Mapping[str, Expression], days: frozenset[str]):
        self.columns = columns
        # The day counts among the facts: their columns are durations in microseconds.
        self.days = days

    def condition(self, node: ast.Node) -> Q:
        if isinstance(node, ast.And):
            result = self.condition(node.operands[0])
            for operand in node.operands[1:]:
                result &= self.condition(operand)
            return result
        if isinstance(node, ast.Or):
            result = self.condition(node.operands[0])
            for operand in node.operands[1:]:
                result |= self.condition(operand)
            return result
        if isinstance(node, ast.Not):
            return ~self.condition(node.operand)
        if isinstance(node, ast.Literal):
            return _TRUE if node.value else _FALSE
        return self.compare(node)

    def operand(self, node: ast.Node) -> Expression:
        if isinstance(node, ast.Fact):
            return self.columns[node.name]
        return Value(node.value)

    def not_null(self, *nodes: ast.Node) -> Q:
        guard = Q()
        for node in nodes:
            if isinstance(node, ast.Fact):
                guard &= _null(self.operand(node), False)
        return guard

    def compare(self, node: ast.Compare) -> Q:
        left, right, op = node.left, node.right, node.op
        if isinstance(left, ast.Literal) and isinstance(right, (ast.Literal, ast.ListLiteral)):
            return _TRUE if _evaluate_constant(op, left, right) else _FALSE
        if op in ("in", "not in") and left.name in self.days:
            return self.days_membership(left, op, [item.value for item in right.items])
        if op in ("in", "not in"):
            values = list(dict.fromkeys(item.value for item in right.items))
            if not values:
                # Django refuses an empty IN list; `x in []` is false, `x not in []` holds for any non-null x.
                return _FALSE if op == "in" else self.not_null(left)
            membership = Q(In(self.operand(left), [Value(v) for v in values]))
            return self.not_null(left) & (membership if op == "in" else ~membership)
        if isinstance(left, ast.Literal) and left.value is None:
            left, right = right, left
        if isinstance(right, ast.Literal) and right.value is None:
            return _null(self.operand(left), op == "==")
        if isinstance(left, ast.Literal):
            left, right, op = right, left, _MIRROR.get(op, op)
        if left.name in self.days:
            return self.not_null(left, right) & self.days_compared(left, op, right)
        if op == "!=":
            return self.not_null(left, right) & ~Q(Exact(self.operand(left), self.operand(right)))
        return self.not_null(left, right) & Q(_LOOKUPS[op](self.operand(left), self.operand(right)))

    def whole_day(self, column: Expression, n) -> Q:
        """The day count `column` is in its whole day n: lo <= us < hi (never for a number not whole)."""
        day = whole_day_range(n)
        if day is None:
            return _FALSE
        lo, hi = day
        return _bounded(column, ">=", lo) & _bounded(column, "<", hi)

    def days_compared(self, left: ast.Fact, op: str, right: ast.Node) -> Q:
        """A day count against n days (the integer bound) or against another day count (durations; whole days
        for == and !=)."""
        column = self.operand(left)
        if isinstance(right, ast.Literal):
            if op == "==":
                return self.whole_day(column, right.value)
            if op == "!=":
                return ~self.whole_day(column, right.value)
            return _bounded(column, op, bound_us(op, right.value))
        other = self.operand(right)
        if op in ("==", "!="):
            column, other = (ExpressionWrapper(e / Value(DAY_US), BigIntegerField()) for e in (column, other))
        if op == "!=":
            return ~Q(Exact(column, other))
        return Q(_LOOKUPS[op](column, other))

    def days_membership(self, left: ast.Fact, op: str, values: list) -> Q:
        """A day count in a list of whole days."""
        column = self.operand(left)
        within = _FALSE
        for value in dict.fromkeys(values):
            within |= self.whole_day(column, value)
        return self.not_null(left) & (within if op == "in" else ~within)


def _null(column: Expression, null: bool) -> Q:
    # A day count says whether it is null from its column, without counting.
    return column.null_q(null) if isinstance(column, DaysSince) else Q(IsNull(column, null))


def _bounded(column: Expression, op: str, bound: int) -> Q:
    """An integer column (a day count's microseconds) against a constant; a day count compares its column with
    the instant the bound makes (DaysSince.compared)."""
    return column.compared(op, bound) if isinstance(column, DaysSince) else Q(_LOOKUPS[op](column, Value(bound)))
