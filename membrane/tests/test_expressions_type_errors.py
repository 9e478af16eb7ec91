"""Checking against a catalogue names every problem at once, with its position and the fix."""

from __future__ import annotations

import pytest

from membrane.expressions import ExpressionError, FactSpec, check

FACTS = {
    spec.name: spec
    for spec in (
        FactSpec("stage", "str", frozenset({"crisis", "at_risk", "active"})),
        FactSpec("segment", "str"),
        FactSpec("open_tickets", "int"),
        FactSpec("lifetime_value", "decimal"),
        FactSpec("eta_given", "bool"),
    )
}


def problems(source: str) -> list[tuple[int, int, str, str | None]]:
    with pytest.raises(ExpressionError) as caught:
        check(source, FACTS)
    return [(p.line, p.column, p.message, p.suggestion) for p in caught.value.problems]


def test_unknown_fact_suggests_the_closest_name():
    assert problems("open_ticket > 0") == [
        (1, 1, "unknown fact 'open_ticket' — did you mean 'open_tickets'?", "open_tickets")
    ]


def test_unknown_fact_without_a_close_name():
    assert problems("zzz > 0") == [(1, 1, "unknown fact 'zzz'", None)]


def test_capitalised_literal_is_not_a_fact():
    assert problems("eta_given == True") == [(1, 14, "unknown fact 'True'; literals are lowercase: true", "true")]


def test_unknown_value_of_a_str_fact_suggests_the_closest():
    assert problems('stage == "crisys"') == [(1, 10, "unknown stage 'crisys' — did you mean 'crisis'?", '"crisis"')]
    assert problems('"crisys" != stage') == [(1, 1, "unknown stage 'crisys' — did you mean 'crisis'?", '"crisis"')]


def test_unknown_value_without_a_close_one_lists_the_values():
    assert problems('stage == "zzz"') == [(1, 10, "unknown stage 'zzz'; one of: active, at_risk, crisis", None)]


def test_every_problem_is_reported_in_source_order():
    source = 'open_ticket > 0 and\n  stage in ["crisis", "at_rsk"] and\n  segmnt == 3'
    assert problems(source) == [
        (1, 1, "unknown fact 'open_ticket' — did you mean 'open_tickets'?", "open_tickets"),
        (2, 23, "unknown stage 'at_rsk' — did you mean 'at_risk'?", '"at_risk"'),
        (3, 3, "unknown fact 'segmnt' — did you mean 'segment'?", "segment"),
    ]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('"a" < 5', (1, 5, "'<' compares numbers, but \"a\" is a string", None)),
        ("stage == 3", (1, 7, "'stage' is a string but 3 is a number; they cannot be compared", None)),
        ("eta_given == 1", (1, 11, "'eta_given' is true or false but 1 is a number; they cannot be compared", None)),
        ('segment >= "m"', (1, 9, "'>=' compares numbers, but 'segment' is a string", None)),
        ("open_tickets > null", (1, 14, "null can only be compared with == or !=, not '>'", None)),
        ("segment in 5", (1, 12, "'in' needs a list, e.g. segment in [...], not 5", None)),
        ('segment not in "smb"', (1, 16, "'not in' needs a list, e.g. segment not in [...], not \"smb\"", None)),
        ("null in [1]", (1, 6, "null cannot be used with 'in'; write == null or != null", None)),
        ("[1] == open_tickets", (1, 1, "a list can only follow 'in' or 'not in'", None)),
        ("(open_tickets > 1) == true", (1, 2, "a condition cannot be compared; compare facts and values", None)),
    ],
)
def test_type_mismatches(source, expected):
    assert problems(source) == [expected]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('segment in ["a", 1, "b"]', (1, 18, "a list mixes a string and a number: 1", None)),
        ('open_tickets in ["a"]', (1, 18, "'open_tickets' is a number but the list holds a string: \"a\"", None)),
        ("open_tickets in [1, null]", (1, 21, "a list cannot hold null; write x == null or x in [...]", None)),
        (
            "open_tickets in [1, segment]",
            (1, 21, "a list holds only literal values (numbers, strings, true, false)", None),
        ),
    ],
)
def test_list_elements(source, expected):
    assert problems(source) == [expected]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "open_tickets",
            (
                1,
                1,
                "'open_tickets' is a number, not a condition: the expression must be true or false, "
                "e.g. open_tickets > 0",
                "open_tickets > 0",
            ),
        ),
        (
            "eta_given and stage",
            (
                1,
                15,
                "'stage' is a string, not a condition: each side of and/or/not must be true or false, "
                'e.g. stage == "active"',
                'stage == "active"',
            ),
        ),
        ('"smb"', (1, 1, '"smb" is a string, not a condition: the expression must be true or false', None)),
    ],
)
def test_a_condition_must_be_true_or_false(source, expected):
    assert problems(source) == [expected]


def test_valid_expression_lists_the_facts_it_reads_in_order():
    checked = check(
        'stage in ["crisis", "at_risk"] and not eta_given\n or lifetime_value >= 1000 and open_tickets > 0.5 '
        "and stage != null",
        FACTS,
    )
    assert checked.facts_read == ["stage", "eta_given", "lifetime_value", "open_tickets"]


def test_numbers_compare_across_int_and_decimal():
    assert check("lifetime_value > open_tickets and open_tickets in [1, 2.5]", FACTS).facts_read == [
        "lifetime_value",
        "open_tickets",
    ]
