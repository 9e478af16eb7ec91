"""The one seam between principles and the expression language: check and compile a condition."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from membrane.catalogue import fact_types_for, facts_for
from membrane.expressions import ExpressionError, check, compile_python


@dataclass(frozen=True)
class CompiledCondition:
    source: str
    predicate: Callable[[Mapping], bool]
    facts: tuple[str, ...]  # the names the condition reads, in first-read order


class ConditionError(ValueError):
    def __init__(self, problems: list):
        self.problems = problems
        super().__init__("; ".join(problem_text(problem) for problem in problems))


def problem_text(problem) -> str:
    text = f"line {problem.line}, column {problem.column}: {problem.message}"
    suggestion = getattr(problem, "suggestion", None)
    return f"{text} ({suggestion})" if suggestion else text


def condition_check(source: str) -> None:
    """A condition being written: checked against the catalogue with the vocabularies' keys as they are now."""

    try:
        check(source, facts_for("principle"))
    except ExpressionError as error:
        raise ConditionError(list(error.problems)) from None


def condition_compile(source: str) -> CompiledCondition:
    """Type-check a stored condition against the principle context's fact types and compile it to a predicate.

    Its values were checked when it was written (condition_check): a team or stage removed since
    leaves a comparison that never holds, never a published set that no longer compiles.
    """

    try:
        checked = check(source, fact_types_for("principle"))
    except ExpressionError as error:
        raise ConditionError(list(error.problems)) from None
    return CompiledCondition(source=source, predicate=compile_python(checked), facts=tuple(checked.facts_read))
