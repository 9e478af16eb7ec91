"""The one AST both back-ends compile. Every node knows where it starts (1-based line, column).

`depth` counts the boolean operators (and, or, not) on the deepest path below a node; it is
computed as nodes are built, so bounding it never needs recursion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

LiteralValue = int | Decimal | str | bool | None


@dataclass(frozen=True, slots=True)
class Node:
    line: int
    column: int

    @property
    def depth(self) -> int:
        return 0


@dataclass(frozen=True, slots=True)
class Literal(Node):
    value: LiteralValue


@dataclass(frozen=True, slots=True)
class ListLiteral(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Fact(Node):
    name: str


@dataclass(frozen=True, slots=True)
class Compare(Node):
    """`left op right`; op is one of == != < <= > >= in, "not in". line/column are the operator's."""

    op: str
    left: Node
    right: Node

    @property
    def depth(self) -> int:
        return max(self.left.depth, self.right.depth)


@dataclass(frozen=True, slots=True)
class Not(Node):
    operand: Node
    _depth: int = field(default=0, compare=False, repr=False)

    @property
    def depth(self) -> int:
        return self._depth


@dataclass(frozen=True, slots=True)
class And(Node):
    operands: tuple[Node, ...]
    _depth: int = field(default=0, compare=False, repr=False)

    @property
    def depth(self) -> int:
        return self._depth


@dataclass(frozen=True, slots=True)
class Or(Node):
    operands: tuple[Node, ...]
    _depth: int = field(default=0, compare=False, repr=False)

    @property
    def depth(self) -> int:
        return self._depth


def make_not(line: int, column: int, operand: Node) -> Not:
    return Not(line, column, operand, operand.depth + 1)


def make_and(operands: tuple[Node, ...]) -> And:
    return And(*start(operands[0]), operands, 1 + max(o.depth for o in operands))


def make_or(operands: tuple[Node, ...]) -> Or:
    return Or(*start(operands[0]), operands, 1 + max(o.depth for o in operands))


def start(node: Node) -> tuple[int, int]:
    """Where the source text of `node` begins (a comparison's own position is its operator's)."""
    while isinstance(node, Compare):
        node = node.left
    return node.line, node.column


def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, (And, Or)):
        return node.operands
    if isinstance(node, Not):
        return (node.operand,)
    if isinstance(node, Compare):
        return (node.left, node.right)
    if isinstance(node, ListLiteral):
        return node.items
    return ()
