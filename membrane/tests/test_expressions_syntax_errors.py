"""Syntax problems are named at their exact line and column, and bad input never crashes the parser."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from membrane.expressions import MAX_DEPTH, MAX_LENGTH, ExpressionError, FactSpec, check, parse
from membrane.tests.expression_shapes import shape


def problems(source: str) -> list[tuple[int, int, str]]:
    with pytest.raises(ExpressionError) as caught:
        parse(source)
    return [(p.line, p.column, p.message) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("open_tickets >", (1, 15, "expected a value after '>'")),
        ("open_tickets > and eta_given", (1, 16, "expected a value after '>'")),
        ("stage in", (1, 9, "expected a list after 'in'")),
        ("stage not in", (1, 13, "expected a list after 'not in'")),
        ("stage not 3", (1, 11, "expected 'in' after 'not'")),
        ("eta_given and", (1, 14, "expected a condition after 'and'")),
        ("not", (1, 4, "expected a condition after 'not'")),
        ("and eta_given", (1, 1, "an expression cannot start with 'and'")),
        ("()", (1, 2, "expected an expression after '('")),
        ("", (1, 1, "the expression is empty")),
        ("   \n  ", (1, 1, "the expression is empty")),
        ("a < b < c", (1, 7, "comparisons cannot be chained; join two comparisons with 'and'")),
        ("a == 1 b == 2", (1, 8, "unexpected name 'b': expected an operator, 'and' or 'or'")),
        ("a in [1 2]", (1, 9, "expected ',' or ']' before number 2")),
        ("a in [1,]", (1, 9, "expected a value after ','")),
        ("a > 1 AND b", (1, 7, "keywords are lowercase: write 'and'")),
    ],
)
def test_incomplete_or_misplaced_tokens(source, expected):
    assert problems(source) == [expected]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("(a > 1", (1, 1, "unbalanced parentheses: '(' is never closed")),
        ("a > 1)", (1, 6, "unbalanced parentheses: ')' has no matching '('")),
        ("(a in [1)]", (1, 9, "unbalanced parentheses: expected ']' to close '[' at line 1, column 7, found ')'")),
        ("a > 1 and\n  (b < 2 or\n   c > 3", (2, 3, "unbalanced parentheses: '(' is never closed")),
    ],
)
def test_unbalanced_parentheses(source, expected):
    assert problems(source) == [expected]


def test_every_bad_character_is_reported_with_a_hint():
    found = problems('segment = "smb" && x ! y\n  or z | w $')
    assert found == [
        (1, 9, "unexpected '='; to compare, write '=='"),
        (1, 17, "unexpected '&&'; write 'and'"),
        (1, 22, "unexpected '!'; to negate, write 'not'"),
        (2, 8, "unexpected '|'; write 'or'"),
        (2, 12, "unexpected character '$'"),
    ]


def test_single_quotes_suggest_double_quotes():
    with pytest.raises(ExpressionError) as caught:
        parse("segment == 'smb'")
    (problem,) = caught.value.problems
    assert (problem.line, problem.column, problem.message, problem.suggestion) == (
        1,
        12,
        "strings are written in double quotes",
        '"smb"',
    )


def test_unterminated_string():
    assert problems('segment == "smb') == [(1, 12, "unterminated string: add the closing '\"'")]


def test_invalid_escape_points_at_the_backslash():
    assert problems('segment == "a\\qb"') == [
        (1, 14, "invalid escape '\\q' in string; use \\\" \\\\ \\n \\t or \\uXXXX")
    ]


def test_numbers_out_of_range():
    assert problems("a > 9223372036854775808") == [
        (1, 5, "integer 9223372036854775808 is too large; the limit is 9223372036854775807")
    ]
    assert problems("a > 1.0000000000000001") == [(1, 5, "1.0000000000000001 has too many digits; the limit is 15")]


def test_positions_on_later_lines():
    source = 'stage == "crisis"\n  and open_tickets >\n'
    assert problems(source) == [(2, 21, "expected a value after '>'")]


def test_too_long_is_refused_before_parsing():
    source = "(" * 10_000  # would be a syntax error too: the length is reported alone
    assert problems(source) == [(1, 1, f"expression is 10000 characters long; the limit is {MAX_LENGTH}")]


def test_deep_parentheses_give_a_depth_error_not_a_recursion_error():
    source = "(" * 500 + "a > 1" + ")" * 500
    assert problems(source) == [
        (1, MAX_DEPTH + 1, f"parentheses and brackets nest more than {MAX_DEPTH} levels deep; the limit is {MAX_DEPTH}")
    ]


def test_long_chains_of_not_give_a_depth_error():
    source = "not " * 400 + "a"
    assert problems(source) == [
        (1, 1 + 4 * (400 - MAX_DEPTH - 1), f"expression nests 400 levels of and/or/not; the limit is {MAX_DEPTH}")
    ]


def test_nesting_at_the_limit_is_accepted():
    assert shape(parse("(" * MAX_DEPTH + "a > 1" + ")" * MAX_DEPTH)) == ">(a, 1)"


def test_precedence_not_and_or():
    # not binds tighter than and, and tighter than or: this is (not a) or (b and c).
    assert shape(parse("not a or b and c")) == "or(not(a), and(b, c))"
    assert shape(parse("not (a or b) and c")) == "and(not(or(a, b)), c)"
    assert shape(parse("a or b or c and d")) == "or(a, b, and(c, d))"
    assert (
        shape(parse('x not in [1, 2.5] and s == "\\u00e9\\n"')) == "and(not in(x, [1, Decimal('2.5')]), ==(s, 'é\\n'))"
    )


def test_comments_and_newlines_are_whitespace():
    assert shape(parse("a > 1 # why\n and b")) == shape(parse("a > 1 and\n\n b")) == "and(>(a, 1), b)"


ALPHABET = st.sampled_from(
    ["a", "b", "x1", "and", "or", "not", "in", "true", "null", "==", "<", ">=", "!=", "(", ")", "[", "]", ",",
     "1", "-2.5", '"s"', '"\\q"', "'", "=", "&", " ", "\n", "#", "é", "\\"]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=60), st.lists(ALPHABET, max_size=30).map("".join)))
def test_any_input_checks_or_fails_with_positioned_problems(source):
    facts = {"a": FactSpec("a", "int"), "b": FactSpec("b", "bool"), "x1": FactSpec("x1", "str", frozenset({"s"}))}
    try:
        check(source, facts)
    except ExpressionError as error:
        assert error.problems
        lines = source.split("\n")
        for problem in error.problems:
            assert 1 <= problem.line <= len(lines)
            assert 1 <= problem.column <= len(lines[problem.line - 1]) + 1
