"""A string literal holding a NUL or a lone surrogate is refused by the checker, with its line and column: no
database can bind it, so a principle holding one would fail every query it compiles to (issue 12, item 4)."""

from __future__ import annotations

import json

import pytest

from membrane.catalogue import fact_types_for
from membrane.expressions import ExpressionError, check


@pytest.mark.parametrize(
    ("expression", "column"),
    [
        ('segment == "\\ud800"', 12),
        ('segment == "a\\u0000b"', 12),
        ('segment in ["smb", "\\udfff"]', 20),
    ],
    ids=["surrogate", "nul", "in-a-list"],
)
def test_the_check_api_refuses_the_literal_where_it_stands(client, cx_manager, expression, column):
    client.force_login(cx_manager)
    body = json.dumps({"expression": expression, "context": "principle"})

    response = client.post("/api/v1/expressions/check", body, content_type="application/json")

    assert response.status_code == 200
    assert response.json()["ok"] is False
    (error,) = response.json()["errors"]
    assert (error["line"], error["column"]) == (1, column)
    assert "NUL" in error["message"] and "surrogate" in error["message"]


@pytest.mark.parametrize(
    "expression",
    [
        'segment == "smb" or region == "\\u0000"',
        'segment == "smb" or region == "\x00"',
        'segment == "smb" or region == "\ud800"',
    ],
    ids=["escaped", "raw-nul", "raw-surrogate"],
)
def test_the_checker_refuses_it_whether_escaped_or_not(expression):
    with pytest.raises(ExpressionError) as refused:
        check(expression, fact_types_for("principle"))
    assert [(p.line, p.column) for p in refused.value.problems] == [(1, 31)]
