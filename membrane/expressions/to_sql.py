"""Compile a checked expression to a Django Q of lookups: a SQL predicate with every value bound.

Null semantics are those of to_python (docs/expressions.md). SQL's own three-valued logic would
make `not (x > 3)` unknown when x is null, so each comparison is built never to be NULL: it is
ANDed with `IS NOT NULL` for every fact it reads, and `x == null` / `x != null` become IS NULL /
IS NOT NULL. And, or and not of never-null terms are never null, so NOT means what it says.
The Q holds lookup expressions, not keyword lookups, so Django adds no null handling of its own.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Expression, F, Q, Value
from django.db.models.lookups import Exact, GreaterThan, GreaterThanOrEqual, In, IsNull, LessThan, LessThanOrEqual

# The module by its name: `from . import ast` imports the package, which imports this module.
import membrane.expressions.ast as ast

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


def compile_sql(checked: Checked, columns: Mapping[str, Expression | str]) -> Q:
    """A Q for .filter(), When(...) or ExpressionWrapper(..., BooleanField()) in .annotate().

    `columns` maps each fact read to an expression: a field path ("lifetime_value"), an F(), an
    annotation, or a Value for the interaction context (team, channel, ...).
    """
    missing = [name for name in checked.facts_read if name not in columns]
    if missing:
        raise ValueError(f"no column given for fact(s): {', '.join(missing)}")
    resolved = {name: F(col) if isinstance(col, str) else col for name, col in columns.items()}
    return _Compiler(resolved).condition(checked.node)


class _Compiler:
    def __init__(self, columns: Mapping[str, Expression]):
        self.columns = columns

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
                guard &= Q(IsNull(self.operand(node), False))
        return guard

    def compare(self, node: ast.Compare) -> Q:
        left, right, op = node.left, node.right, node.op
        if isinstance(left, ast.Literal) and isinstance(right, (ast.Literal, ast.ListLiteral)):
            return _TRUE if _evaluate_constant(op, left, right) else _FALSE
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
            return Q(IsNull(self.operand(left), op == "=="))
        if op == "!=":
            return self.not_null(left, right) & ~Q(Exact(self.operand(left), self.operand(right)))
        return self.not_null(left, right) & Q(_LOOKUPS[op](self.operand(left), self.operand(right)))
