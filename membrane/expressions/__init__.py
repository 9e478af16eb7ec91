"""The expression language of DESIGN.md section 5: one AST, a Python evaluator and a SQL predicate.

    checked = check('stage == "crisis" and open_tickets > 0', facts)   # or ExpressionError
    holds = compile_python(checked)({"stage": "crisis", "open_tickets": 2})
    Customer.objects.filter(compile_sql(checked, {"stage": "stage", "open_tickets": F("n")}))

The syntax, the limits and the null rules are documented in docs/expressions.md.
"""

from __future__ import annotations

from .check import FACT_TYPES, Checked, FactSpec, check
from .errors import ExpressionError, Problem
from .parser import MAX_DEPTH, MAX_LENGTH, parse
from .report import check_report
from .to_python import compile_python
from .to_sql import compile_sql

__all__ = [
    "FACT_TYPES",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "Checked",
    "ExpressionError",
    "FactSpec",
    "Problem",
    "check",
    "check_report",
    "compile_python",
    "compile_sql",
    "parse",
]
