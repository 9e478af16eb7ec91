"""Source text -> AST, with every syntax problem named by line and column.

Lark parses (LALR, so no recursion however long the input) and builds the AST inline while it
reduces. Before that, one lexing pass reports every bad character, and a scan of the tokens checks
brackets balance and nest at most MAX_DEPTH deep, so a pathological input is refused cheaply.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

# The module by its name: `from . import ast` imports the package, which imports this module.
import membrane.expressions.ast as ast

from .errors import ExpressionError, Problem

MAX_LENGTH = 2000
MAX_DEPTH = 32
# Integers are 64-bit in both databases; decimals keep 15 significant digits, the precision
# SQLite's REAL (where it stores decimals) represents exactly.
MAX_INT = 2**63 - 1
MAX_DECIMAL_DIGITS = 15
_MAX_LEX_PROBLEMS = 20

KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "null"})
_VALUE_END = frozenset({"NAME", "NUMBER", "STRING", "TRUE", "FALSE", "NULL", "RSQB", "RPAR"})
_CLOSER = {"LPAR": ")", "LSQB": "]"}


class _Build(Transformer):
    """Callbacks lark runs as it reduces: children are tokens and already-built nodes."""

    def fact(self, children):
        (tok,) = children
        return ast.Fact(tok.line, tok.column, str(tok))

    def number(self, children):
        (tok,) = children
        text = str(tok)
        return ast.Literal(tok.line, tok.column, Decimal(text) if "." in text else int(text))

    def string(self, children):
        (tok,) = children
        return ast.Literal(tok.line, tok.column, json.loads(str(tok)))

    def true(self, children):
        return ast.Literal(children[0].line, children[0].column, True)

    def false(self, children):
        return ast.Literal(children[0].line, children[0].column, False)

    def null(self, children):
        return ast.Literal(children[0].line, children[0].column, None)

    def list(self, children):
        opening = children[0]
        return ast.ListLiteral(opening.line, opening.column, tuple(children[1:-1]))

    def group(self, children):
        return children[1]

    def compare(self, children):
        left, op, right = children
        return ast.Compare(op.line, op.column, str(op), left, right)

    def compare_not_in(self, children):
        left, op, _in, right = children
        return ast.Compare(op.line, op.column, "not in", left, right)

    def negation(self, children):
        op, operand = children
        return ast.make_not(op.line, op.column, operand)

    def and_expr(self, children):
        return ast.make_and(tuple(children))

    def or_expr(self, children):
        return ast.make_or(tuple(children))


_LARK = Lark(
    Path(__file__).with_name("grammar.lark").read_text(),
    parser="lalr",
    # The basic lexer tokenizes exactly as the lexing pass does, so errors can name the token before.
    lexer="basic",
    transformer=_Build(),
    maybe_placeholders=False,
)


def parse(source: str) -> ast.Node:
    """The AST of `source`, or ExpressionError naming every syntax problem found."""
    if len(source) > MAX_LENGTH:
        raise ExpressionError(
            [Problem(1, 1, f"expression is {len(source)} characters long; the limit is {MAX_LENGTH}")]
        )
    tokens, problems = _lex(source)
    if not problems:
        problems = _check_literals(tokens) + _check_brackets(tokens)
    if problems:
        raise ExpressionError(problems)
    try:
        node = _LARK.parse(source)
    except (UnexpectedToken, UnexpectedEOF) as exc:
        raise ExpressionError([_syntax_problem(exc, tokens)]) from None
    except UnexpectedInput as exc:  # pragma: no cover - the lexing pass reports these first
        raise ExpressionError([Problem(exc.line, exc.column, "syntax error")]) from None
    if node.depth > MAX_DEPTH:
        raise ExpressionError([_too_deep(node)])
    return node


def _lex(source: str) -> tuple[list[Token], list[Problem]]:
    """All tokens, or every bad character: each is blanked out and lexing starts over."""
    problems: list[Problem] = []
    text = source
    while True:
        try:
            return list(_LARK.lex(text)), problems
        except UnexpectedCharacters as exc:
            problem, end = _bad_character(text, exc)
            problems.append(problem)
            if len(problems) >= _MAX_LEX_PROBLEMS:
                return [], problems
            start = exc.pos_in_stream
            text = text[:start] + " " * (end - start) + text[end:]


def _bad_character(text: str, exc: UnexpectedCharacters) -> tuple[Problem, int]:
    """The problem for the character at exc, and where the stretch to blank out ends."""
    pos = exc.pos_in_stream
    char = text[pos]
    line_end = text.find("\n", pos)
    line_end = len(text) if line_end == -1 else line_end
    run_end = pos
    while run_end < len(text) and text[run_end] == char:
        run_end += 1
    at = (exc.line, exc.column)
    if char == '"':
        return Problem(*at, "unterminated string: add the closing '\"'"), line_end
    if char == "'":
        closing = text.find("'", pos + 1, line_end)
        end = line_end if closing == -1 else closing + 1
        inner = text[pos + 1 : end - 1] if closing != -1 else text[pos + 1 : line_end]
        return Problem(*at, "strings are written in double quotes", json.dumps(inner)), end
    if char == "=":
        return Problem(*at, "unexpected '='; to compare, write '=='", "=="), run_end
    if char == "!":
        return Problem(*at, "unexpected '!'; to negate, write 'not'", "not"), run_end
    if char == "&":
        return Problem(*at, f"unexpected '{char * (run_end - pos)}'; write 'and'", "and"), run_end
    if char == "|":
        return Problem(*at, f"unexpected '{char * (run_end - pos)}'; write 'or'", "or"), run_end
    return Problem(*at, f"unexpected character {char!r}"), pos + 1


def _unstorable(text: str) -> bool:
    """Whether `text` holds a NUL or a lone surrogate: no database can bind it as a parameter."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _check_literals(tokens: list[Token]) -> list[Problem]:
    problems = []
    for tok in tokens:
        if tok.type == "STRING":
            # A NUL or a lone surrogate can stand in a string as itself or as an escape: checked both ways.
            value = str(tok)
            if not _unstorable(value):
                try:
                    value = json.loads(value)
                except json.JSONDecodeError as exc:
                    escape = str(tok)[exc.pos : exc.pos + 2]
                    problems.append(
                        Problem(
                            tok.line,
                            tok.column + exc.pos,
                            f"invalid escape '{escape}' in string; use \\\" \\\\ \\n \\t or \\uXXXX",
                        )
                    )
                    continue
            if _unstorable(value):
                problems.append(
                    Problem(
                        tok.line,
                        tok.column,
                        "a string cannot hold a NUL character (\\u0000) or a lone surrogate (\\ud800-\\udfff)",
                    )
                )
        elif tok.type == "NUMBER":
            text = str(tok)
            if "." not in text and abs(int(text)) > MAX_INT:
                problems.append(Problem(tok.line, tok.column, f"integer {text} is too large; the limit is {MAX_INT}"))
            elif "." in text and len(text.lstrip("-").replace(".", "").lstrip("0")) > MAX_DECIMAL_DIGITS:
                problems.append(
                    Problem(tok.line, tok.column, f"{text} has too many digits; the limit is {MAX_DECIMAL_DIGITS}")
                )
    return problems


def _check_brackets(tokens: list[Token]) -> list[Problem]:
    """Balance and nesting of ( ) and [ ], found by counting: no recursion, stops at the first problem."""
    stack: list[Token] = []
    for tok in tokens:
        if tok.type in _CLOSER:
            stack.append(tok)
            if len(stack) > MAX_DEPTH:
                return [
                    Problem(
                        tok.line,
                        tok.column,
                        f"parentheses and brackets nest more than {MAX_DEPTH} levels deep; the limit is {MAX_DEPTH}",
                    )
                ]
        elif tok.type in ("RPAR", "RSQB"):
            if not stack:
                opener = "(" if tok.type == "RPAR" else "["
                return [Problem(tok.line, tok.column, f"unbalanced parentheses: '{tok}' has no matching '{opener}'")]
            opening = stack.pop()
            expected = _CLOSER[opening.type]
            if str(tok) != expected:
                return [
                    Problem(
                        tok.line,
                        tok.column,
                        f"unbalanced parentheses: expected '{expected}' to close '{opening}' "
                        f"at line {opening.line}, column {opening.column}, found '{tok}'",
                        expected,
                    )
                ]
    if stack:
        opening = stack[-1]
        expected = _CLOSER[opening.type]
        return [Problem(opening.line, opening.column, f"unbalanced parentheses: '{opening}' is never closed", expected)]
    return []


def _describe(tok: Token) -> str:
    if tok.type == "NAME":
        return f"name '{tok}'"
    if tok.type == "NUMBER":
        return f"number {tok}"
    if tok.type == "STRING":
        return f"string {tok}"
    return f"'{tok}'"


def _syntax_problem(exc: UnexpectedToken | UnexpectedEOF, tokens: list[Token]) -> Problem:
    tok = getattr(exc, "token", None)
    if tok is None or tok.type == "$END":
        index = len(tokens)
        if not tokens:
            return Problem(1, 1, "the expression is empty")
        last = tokens[-1]
        line, column, found = last.end_line, last.end_column, "end of input"
    else:
        index = next((i for i, t in enumerate(tokens) if t.start_pos == tok.start_pos), len(tokens))
        line, column, found = tok.line, tok.column, _describe(tok)
    prev = tokens[index - 1] if index else None
    before_prev = tokens[index - 2] if index > 1 else None

    if prev is None:
        return Problem(line, column, f"an expression cannot start with {found}")
    if prev.type == "COMP":
        return Problem(line, column, f"expected a value after '{prev}'")
    if prev.type == "IN":
        after = "'not in'" if before_prev is not None and before_prev.type == "NOT" else "'in'"
        return Problem(line, column, f"expected a list after {after}")
    if prev.type == "NOT" and before_prev is not None and before_prev.type in _VALUE_END:
        return Problem(line, column, "expected 'in' after 'not'", "not in")
    if prev.type in ("_AND", "_OR", "NOT"):
        return Problem(line, column, f"expected a condition after '{prev}'")
    if prev.type == "LPAR":
        return Problem(line, column, "expected an expression after '('")
    if prev.type in ("LSQB", "_COMMA"):
        return Problem(line, column, f"expected a value after '{prev}'")
    # prev ends a value: an operator or a connective must follow.
    if tok is not None and (tok.type in ("COMP", "IN") or (tok.type == "NOT" and "NOT" not in exc.expected)):
        return Problem(line, column, "comparisons cannot be chained; join two comparisons with 'and'", "and")
    if tok is not None and tok.type == "NAME" and str(tok).lower() in KEYWORDS:
        return Problem(line, column, f"keywords are lowercase: write '{str(tok).lower()}'", str(tok).lower())
    if _innermost_bracket(tokens[:index]) == "LSQB":
        return Problem(line, column, f"expected ',' or ']' before {found}")
    return Problem(line, column, f"unexpected {found}: expected an operator, 'and' or 'or'")


def _innermost_bracket(tokens: list[Token]) -> str | None:
    stack = []
    for tok in tokens:
        if tok.type in _CLOSER:
            stack.append(tok.type)
        elif tok.type in ("RPAR", "RSQB") and stack:
            stack.pop()
    return stack[-1] if stack else None


def _too_deep(root: ast.Node) -> Problem:
    """Point at the first node past the limit, walking down the deepest path (iteratively)."""
    node = root
    while node.depth > MAX_DEPTH + 1:
        node = max(ast.children(node), key=lambda child: child.depth)
    return Problem(
        node.line, node.column, f"expression nests {root.depth} levels of and/or/not; the limit is {MAX_DEPTH}"
    )
