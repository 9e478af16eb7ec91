"""Type-check an AST against a fact catalogue, reporting every problem at once.

The result is the typed AST both back-ends compile. Beyond checking, it makes one rewrite: a bool
fact used as a condition (`eta_given`) becomes `eta_given == true`, so a null bool counts as false
and `not eta_given` holds for null, as the null rules of docs/expressions.md say.

A day count (FactSpec.days) is an int fact the back-ends compare as an exact duration
(docs/expressions.md, "Day counts"): with a number of days or another day count, and by whole days
with ==, != and in, so a number that is not whole cannot be equal to it.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

# The module by its name: `from . import ast` imports the package, which imports this module.
import membrane.expressions.ast as ast

from .errors import ExpressionError, Problem
from .parser import parse

FACT_TYPES = frozenset({"int", "decimal", "bool", "str"})
_FAMILY = {"int": "number", "decimal": "number", "str": "string", "bool": "bool", "null": "null"}
_A = {"number": "a number", "string": "a string", "bool": "true or false", "null": "null"}
_ORDERING = frozenset({"<", "<=", ">", ">="})


@dataclass(frozen=True)
class FactSpec:
    """A fact the language may read: its name, type, and for a str fact optionally the values it takes; `days`:
    an int fact that is a day count (cxcore.facts.days), compared as the exact duration."""

    name: str
    type: str
    values: frozenset[str] | None = None
    days: bool = False

    def __post_init__(self):
        if self.type not in FACT_TYPES:
            raise ValueError(f"fact {self.name!r}: type must be one of {sorted(FACT_TYPES)}, not {self.type!r}")
        if self.values is not None and self.type != "str":
            raise ValueError(f"fact {self.name!r}: only a str fact has a set of values")
        if self.days and self.type != "int":
            raise ValueError(f"fact {self.name!r}: a day count is an int fact")


@dataclass(frozen=True)
class Checked:
    """A well-typed expression: the typed AST, and the facts it reads in order of first use."""

    source: str
    node: ast.Node
    facts_read: list[str]
    facts: Mapping[str, FactSpec] = field(repr=False)


def check(source: str, facts: Mapping[str, FactSpec]) -> Checked:
    """Parse and type-check `source` against `facts`; ExpressionError lists every problem found."""
    node = parse(source)
    checker = _Checker(facts)
    typed = checker.condition(node, top=True)
    if checker.problems:
        raise ExpressionError(checker.problems)
    return Checked(source=source, node=typed, facts_read=checker.read, facts={n: facts[n] for n in checker.read})


def _literal_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, Decimal):
        return "decimal"
    return "str"


def _show(node: ast.Node) -> str:
    if isinstance(node, ast.Fact):
        return f"'{node.name}'"
    if isinstance(node, ast.Literal):
        value = node.value
        if value is None:
            return "null"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str):
            return f'"{value}"'
        return str(value)
    return "the list"


class _Checker:
    def __init__(self, facts: Mapping[str, FactSpec]):
        self.facts = facts
        self.problems: list[Problem] = []
        self.read: list[str] = []

    def problem(self, at: tuple[int, int], message: str, suggestion: str | None = None) -> None:
        self.problems.append(Problem(at[0], at[1], message, suggestion))

    # conditions -------------------------------------------------------------------------

    def condition(self, node: ast.Node, *, top: bool = False) -> ast.Node:
        if isinstance(node, ast.And):
            return ast.And(node.line, node.column, tuple(self.condition(o) for o in node.operands), node.depth)
        if isinstance(node, ast.Or):
            return ast.Or(node.line, node.column, tuple(self.condition(o) for o in node.operands), node.depth)
        if isinstance(node, ast.Not):
            return ast.Not(node.line, node.column, self.condition(node.operand), node.depth)
        if isinstance(node, ast.Compare):
            self.compare(node)
            return node
        if isinstance(node, ast.Literal) and isinstance(node.value, bool):
            return node
        kind = self.value(node)
        if kind == "bool" and isinstance(node, ast.Fact):
            return ast.Compare(node.line, node.column, "==", node, ast.Literal(node.line, node.column, True))
        if kind is not None:
            where = "the expression" if top else "each side of and/or/not"
            example = self._example(node, kind)
            self.problem(
                ast.start(node),
                f"{_show(node)} is {_A[_FAMILY[kind]]}, not a condition: {where} must be true or false"
                + (f", e.g. {example}" if example else ""),
                example,
            )
        return node

    def _example(self, node: ast.Node, kind: str) -> str | None:
        if not isinstance(node, ast.Fact):
            return None
        if _FAMILY[kind] == "number":
            return f"{node.name} > 0"
        values = self.facts[node.name].values
        return f'{node.name} == "{min(values)}"' if values else f'{node.name} == "..."'

    # values -----------------------------------------------------------------------------

    def value(self, node: ast.Node) -> str | None:
        """The type of a value operand, or None once a problem has been reported for it."""
        if isinstance(node, ast.Fact):
            return self.fact(node)
        if isinstance(node, ast.Literal):
            return _literal_type(node.value)
        if isinstance(node, ast.ListLiteral):
            self.problem(ast.start(node), "a list can only follow 'in' or 'not in'")
            for item in node.items:
                self.value(item)
            return None
        self.problem(ast.start(node), "a condition cannot be compared; compare facts and values")
        self.condition(node)
        return None

    def fact(self, node: ast.Fact) -> str | None:
        spec = self.facts.get(node.name)
        if spec is None:
            lowered = node.name.lower()
            if lowered in ("true", "false", "null"):
                self.problem(ast.start(node), f"unknown fact '{node.name}'; literals are lowercase: {lowered}", lowered)
                return None
            close = difflib.get_close_matches(node.name, list(self.facts), n=1)
            if close:
                self.problem(ast.start(node), f"unknown fact '{node.name}' — did you mean '{close[0]}'?", close[0])
            else:
                self.problem(ast.start(node), f"unknown fact '{node.name}'")
            return None
        if node.name not in self.read:
            self.read.append(node.name)
        return spec.type

    def known_value(self, fact: ast.Node, literal: ast.Node) -> None:
        """A string compared with a str fact that has a set of values must be one of them."""
        if not isinstance(fact, ast.Fact) or not isinstance(literal, ast.Literal):
            return
        spec = self.facts.get(fact.name)
        if spec is None or spec.values is None or not isinstance(literal.value, str) or literal.value in spec.values:
            return
        close = difflib.get_close_matches(literal.value, sorted(spec.values), n=1)
        if close:
            message = f"unknown {fact.name} '{literal.value}' — did you mean '{close[0]}'?"
        elif spec.values:
            message = f"unknown {fact.name} '{literal.value}'; one of: " + ", ".join(sorted(spec.values))
        else:  # the values are data (a vocabulary's keys), and there are none yet
            message = f"unknown {fact.name} '{literal.value}'; no {fact.name} is defined yet"
        self.problem(ast.start(literal), message, f'"{close[0]}"' if close else None)

    # comparisons ------------------------------------------------------------------------

    def compare(self, node: ast.Compare) -> None:
        at = (node.line, node.column)
        if node.op in ("in", "not in"):
            self.membership(node, at)
            return
        left, right = self.value(node.left), self.value(node.right)
        if left is None or right is None:
            return
        if node.op in _ORDERING:
            for side, kind in ((node.left, left), (node.right, right)):
                if kind == "null":
                    self.problem(at, f"null can only be compared with == or !=, not '{node.op}'")
                    return
                if _FAMILY[kind] != "number":
                    self.problem(at, f"'{node.op}' compares numbers, but {_show(side)} is {_A[_FAMILY[kind]]}")
                    return
            self.day_count(node, at)
            return
        if "null" in (left, right):
            return
        if _FAMILY[left] != _FAMILY[right]:
            self.problem(
                at,
                f"{_show(node.left)} is {_A[_FAMILY[left]]} but {_show(node.right)} is {_A[_FAMILY[right]]}; "
                "they cannot be compared",
            )
            return
        self.known_value(node.left, node.right)
        self.known_value(node.right, node.left)
        if _FAMILY[left] == "number":
            self.day_count(node, at)

    def is_day_count(self, node: ast.Node) -> bool:
        return isinstance(node, ast.Fact) and node.name in self.facts and self.facts[node.name].days

    def day_count(self, node: ast.Compare, at: tuple[int, int]) -> None:
        """A day count compares with a number of days or another day count; by whole days with == and !=."""
        for fact, other in ((node.left, node.right), (node.right, node.left)):
            if not self.is_day_count(fact):
                continue
            if isinstance(other, ast.Fact) and not self.is_day_count(other):
                example = f"{fact.name} > 3"
                self.problem(
                    at,
                    f"'{fact.name}' is a day count (a duration) but '{other.name}' is not; compare it with a number "
                    f"of days, e.g. {example}, or with another day count",
                    example,
                )
            elif node.op in ("==", "!=") and isinstance(other, ast.Literal):
                self.whole_days(fact, other, node.op)
            return

    def whole_days(self, fact: ast.Fact, literal: ast.Literal, op: str) -> None:
        """== and in compare a day count's whole days: a number that is not whole could never be one."""
        value = literal.value
        if isinstance(value, Decimal) and value != value.to_integral_value():
            example = f"{fact.name} >= {value}"
            self.problem(
                ast.start(literal),
                f"'{fact.name}' is a day count: '{op}' compares whole days, and {value} is not a whole number; "
                f"compare the duration instead, e.g. {example}",
                example,
            )

    def membership(self, node: ast.Compare, at: tuple[int, int]) -> None:
        left = self.value(node.left)
        if not isinstance(node.right, ast.ListLiteral):
            name = node.left.name if isinstance(node.left, ast.Fact) else "x"
            self.problem(
                ast.start(node.right),
                f"'{node.op}' needs a list, e.g. {name} {node.op} [...], not {_show(node.right)}",
            )
            if not isinstance(node.right, ast.Literal):
                self.value(node.right)
            return
        if left == "null":
            self.problem(at, f"null cannot be used with '{node.op}'; write == null or != null")
            return
        family = _FAMILY[left] if left is not None else None
        list_family = None
        for item in node.right.items:
            if not isinstance(item, ast.Literal):
                self.problem(ast.start(item), "a list holds only literal values (numbers, strings, true, false)")
                if not isinstance(item, ast.Fact):
                    self.value(item)
                continue
            kind = _literal_type(item.value)
            if kind == "null":
                self.problem(ast.start(item), "a list cannot hold null; write x == null or x in [...]")
                continue
            item_family = _FAMILY[kind]
            if list_family is None:
                list_family = item_family
                if family is not None and item_family != family:
                    self.problem(
                        ast.start(item),
                        f"{_show(node.left)} is {_A[family]} but the list holds {_A[item_family]}: {_show(item)}",
                    )
                    return
            elif item_family != list_family:
                self.problem(ast.start(item), f"a list mixes {_A[list_family]} and {_A[item_family]}: {_show(item)}")
                continue
            self.known_value(node.left, item)
            if self.is_day_count(node.left):
                self.whole_days(node.left, item, node.op)
