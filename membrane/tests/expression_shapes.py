"""Test helper: an AST as text without positions, to compare the structure of two parses."""

from __future__ import annotations

from membrane.expressions import ast


def shape(node: ast.Node) -> str:
    if isinstance(node, ast.And):
        return "and(" + ", ".join(shape(o) for o in node.operands) + ")"
    if isinstance(node, ast.Or):
        return "or(" + ", ".join(shape(o) for o in node.operands) + ")"
    if isinstance(node, ast.Not):
        return f"not({shape(node.operand)})"
    if isinstance(node, ast.Compare):
        return f"{node.op}({shape(node.left)}, {shape(node.right)})"
    if isinstance(node, ast.ListLiteral):
        return "[" + ", ".join(shape(i) for i in node.items) + "]"
    if isinstance(node, ast.Fact):
        return node.name
    return repr(node.value)
