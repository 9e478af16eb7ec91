"""Compile a checked expression to a tree of closures: no eval, no exec, no AST walk per call.

Null semantics (the same in to_sql; docs/expressions.md): a comparison with a null operand is
false, except `x == null` (true iff x is null) and `x != null` (true iff x is not null); `not`
negates a value that is never null. A fact missing from the mapping counts as null.

A day count (FactSpec.days) is compared as its exact duration in integer microseconds
(cxcore.facts.days.as_us: a DayCount's, or a plain number of days), against the integer bound
to_sql binds too, and by whole days with ==, != and in (docs/expressions.md, "Day counts").
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

# The module by its name: `from . import ast` imports the package, which imports this module.
import membrane.expressions.ast as ast
from cxcore.facts.days import DAY_US, as_us, bound_us, whole_day_range

from .check import Checked

Predicate = Callable[[Mapping[str, Any]], bool]

_OPS = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def compile_python(checked: Checked) -> Predicate:
    """A function of a fact mapping (name -> value or None) that answers the expression."""
    days = frozenset(name for name, spec in checked.facts.items() if spec.days)
    return _condition(checked.node, days)


def _constant(value: bool) -> Predicate:
    def constant(facts):
        return value

    return constant


def _condition(node: ast.Node, days: frozenset[str]) -> Predicate:
    """`days`: the day counts among the facts."""
    if isinstance(node, ast.And):
        return _all([_condition(o, days) for o in node.operands])
    if isinstance(node, ast.Or):
        return _any([_condition(o, days) for o in node.operands])
    if isinstance(node, ast.Not):
        inner = _condition(node.operand, days)
        return lambda facts: not inner(facts)
    if isinstance(node, ast.Literal):
        return _constant(node.value)
    return _compare(node, days)


def _all(parts: list[Predicate]) -> Predicate:
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        a, b = parts
        return lambda facts: a(facts) and b(facts)
    if len(parts) == 3:
        a, b, c = parts
        return lambda facts: a(facts) and b(facts) and c(facts)
    if len(parts) == 4:
        a, b, c, d = parts
        return lambda facts: a(facts) and b(facts) and c(facts) and d(facts)
    if len(parts) == 5:
        a, b, c, d, e = parts
        return lambda facts: a(facts) and b(facts) and c(facts) and d(facts) and e(facts)

    # Longer chains become a balanced tree of the short shapes: a few nested calls, no loop.
    size = -(-len(parts) // 5)
    return _all([_all(parts[i : i + size]) for i in range(0, len(parts), size)])


def _any(parts: list[Predicate]) -> Predicate:
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        a, b = parts
        return lambda facts: a(facts) or b(facts)
    if len(parts) == 3:
        a, b, c = parts
        return lambda facts: a(facts) or b(facts) or c(facts)
    if len(parts) == 4:
        a, b, c, d = parts
        return lambda facts: a(facts) or b(facts) or c(facts) or d(facts)
    if len(parts) == 5:
        a, b, c, d, e = parts
        return lambda facts: a(facts) or b(facts) or c(facts) or d(facts) or e(facts)

    size = -(-len(parts) // 5)
    return _any([_any(parts[i : i + size]) for i in range(0, len(parts), size)])


def _compare(node: ast.Compare, days: frozenset[str]) -> Predicate:
    left, right, op = node.left, node.right, node.op
    if isinstance(left, ast.Literal) and isinstance(right, (ast.Literal, ast.ListLiteral)):
        return _constant(_evaluate_constant(op, left, right))
    if op in ("in", "not in"):
        if left.name in days:
            return _days_membership(left.name, op, [item.value for item in right.items])
        return _membership(left.name, op, frozenset(item.value for item in right.items))
    if isinstance(left, ast.Literal) and left.value is None:
        left, right = right, left
    if isinstance(right, ast.Literal) and right.value is None:
        name = left.name
        if op == "==":
            return lambda facts: facts.get(name) is None
        return lambda facts: facts.get(name) is not None
    if isinstance(left, ast.Literal):
        # `3 < x` is `x > 3`: keep the fast fact-against-constant shapes.
        left, right, op = right, left, {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
    if isinstance(right, ast.Literal):
        if left.name in days:
            return _days_against_constant(left.name, op, right.value)
        return _fact_against_constant(left.name, op, right.value)
    if left.name in days:
        return _days_compared(left.name, right.name, op)
    a, b, compare = left.name, right.name, _OPS[op]

    def facts_compared(facts):
        x, y = facts.get(a), facts.get(b)
        return x is not None and y is not None and compare(x, y)

    return facts_compared


def _fact_against_constant(name: str, op: str, c: Any) -> Predicate:
    # One closure per operator: an operator-module call would cost a further ~40 ns per comparison.
    if op == "==":

        def eq(facts):
            v = facts.get(name)
            return v is not None and v == c

        return eq
    if op == "!=":

        def ne(facts):
            v = facts.get(name)
            return v is not None and v != c

        return ne
    if op == "<":

        def lt(facts):
            v = facts.get(name)
            return v is not None and v < c

        return lt
    if op == "<=":

        def le(facts):
            v = facts.get(name)
            return v is not None and v <= c

        return le
    if op == ">":

        def gt(facts):
            v = facts.get(name)
            return v is not None and v > c

        return gt

    def ge(facts):
        v = facts.get(name)
        return v is not None and v >= c

    return ge


def _days_against_constant(name: str, op: str, n) -> Predicate:
    """A day count against n days: the duration against the integer bound (to_sql binds the same)."""
    if op in ("==", "!="):
        day = whole_day_range(n)
        if day is None:
            # Not a whole number: never the whole days of a day count (the checker refuses it as written).
            if op == "==":
                return _constant(False)
            return lambda facts: facts.get(name) is not None
        lo, hi = day
        if op == "==":
            return lambda facts: (v := facts.get(name)) is not None and lo <= as_us(v) < hi
        return lambda facts: (v := facts.get(name)) is not None and not lo <= as_us(v) < hi
    bound, compare = bound_us(op, n), _OPS[op]
    return lambda facts: (v := facts.get(name)) is not None and compare(as_us(v), bound)


def _days_membership(name: str, op: str, values: list) -> Predicate:
    """A day count in a list of whole days: the whole days of its duration (a number not whole never matches)."""
    whole = frozenset(int(value) for value in values if whole_day_range(value) is not None)
    if op == "in":
        return lambda facts: (v := facts.get(name)) is not None and as_us(v) // DAY_US in whole
    return lambda facts: (v := facts.get(name)) is not None and as_us(v) // DAY_US not in whole


def _days_compared(a: str, b: str, op: str) -> Predicate:
    """Two day counts: their durations, or their whole days for == and !=."""
    compare = _OPS[op]
    if op in ("==", "!="):

        def whole_days_compared(facts):
            x, y = facts.get(a), facts.get(b)
            return x is not None and y is not None and compare(as_us(x) // DAY_US, as_us(y) // DAY_US)

        return whole_days_compared

    def durations_compared(facts):
        x, y = facts.get(a), facts.get(b)
        return x is not None and y is not None and compare(as_us(x), as_us(y))

    return durations_compared


def _membership(name: str, op: str, values: frozenset) -> Predicate:
    if op == "in":

        def is_in(facts):
            v = facts.get(name)
            return v is not None and v in values

        return is_in

    def not_in(facts):
        v = facts.get(name)
        return v is not None and v not in values

    return not_in


def _evaluate_constant(op: str, left: ast.Literal, right: ast.Node) -> bool:
    if op in ("in", "not in"):
        found = left.value in {item.value for item in right.items}
        return left.value is not None and (found if op == "in" else not found)
    if left.value is None or right.value is None:
        both = left.value is None and right.value is None
        if op == "==":
            return both
        return op == "!=" and not both
    return bool(_OPS[op](left.value, right.value))
