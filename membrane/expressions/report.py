"""The answer of a check as plain data: what the API endpoint and the console editor both show."""

from __future__ import annotations

from collections.abc import Mapping

from .check import FactSpec, check
from .errors import ExpressionError


def check_report(source: str, facts: Mapping[str, FactSpec]) -> dict:
    """{"ok": true, "facts": [names read]} or {"ok": false, "errors": [{line, column, message, suggestion?}]}."""
    try:
        checked = check(source, facts)
    except ExpressionError as error:
        return {"ok": False, "errors": [problem.as_dict() for problem in error.problems]}
    return {"ok": True, "facts": checked.facts_read}
