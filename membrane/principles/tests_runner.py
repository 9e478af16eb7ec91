"""Principle tests: examples stored with a version, run against its compiled condition.

An example is `{"name", "facts": {...}, "interaction": {"team", "category", "channel"}, "contacts"?}`
with exactly one expectation: `"expect_match": true|false` (the version applies: in scope and its
condition holds) or `"expect_verdict": "allow"|"suppress"` (what this version alone would answer;
for a cap, `contacts` is the number of contacts in scope already within the window).
"""

from __future__ import annotations

from dataclasses import dataclass

from .conditions import CompiledCondition, ConditionError, condition_compile
from .scope import Scope

INTERACTION_KEYS = ("team", "category", "channel")


@dataclass(frozen=True)
class ExampleResult:
    name: str
    passed: bool
    expected: str
    actual: str


def examples_validate(examples) -> dict[str, str]:
    """Errors by position ("examples[1].expect_match"); empty when every example is well formed."""
    errors: dict[str, str] = {}
    if not isinstance(examples, list):
        return {"examples": "must be a list"}
    for index, example in enumerate(examples):
        where = f"examples[{index}]"
        if not isinstance(example, dict):
            errors[where] = "must be an object"
            continue
        if not isinstance(example.get("name"), str) or not example["name"].strip():
            errors[f"{where}.name"] = "every example needs a name"
        if not isinstance(example.get("facts", {}), dict):
            errors[f"{where}.facts"] = "must be an object of fact values"
        interaction = example.get("interaction", {})
        if not isinstance(interaction, dict) or set(interaction) - set(INTERACTION_KEYS):
            errors[f"{where}.interaction"] = "must be an object with team, category and channel"
        has_match, has_verdict = "expect_match" in example, "expect_verdict" in example
        if has_match == has_verdict:
            errors[where] = "give exactly one of expect_match (true/false) or expect_verdict (allow/suppress)"
        elif has_match and not isinstance(example["expect_match"], bool):
            errors[f"{where}.expect_match"] = "must be true or false"
        elif has_verdict and example["expect_verdict"] not in ("allow", "suppress"):
            errors[f"{where}.expect_verdict"] = "must be 'allow' or 'suppress'"
        contacts = example.get("contacts", 0)
        if isinstance(contacts, bool) or not isinstance(contacts, int) or contacts < 0:
            errors[f"{where}.contacts"] = "must be a whole number of at least 0"
    return errors


def example_run(version, compiled: CompiledCondition, example: dict) -> ExampleResult:
    interaction = example.get("interaction", {})
    row = {name: None for name in compiled.facts}
    row.update(example.get("facts", {}))
    row.update(interaction)
    matched = Scope.of(version).covers(**{key: interaction.get(key) for key in INTERACTION_KEYS}) and bool(
        compiled.predicate(row)
    )
    if "expect_match" in example:
        expected, actual = str(example["expect_match"]).lower(), str(matched).lower()
        expected, actual = f"match {expected}", f"match {actual}"
    else:
        capped = version.effect == "cap" and example.get("contacts", 0) >= version.params["n"]
        verdict = "suppress" if matched and (version.effect == "suppress" or capped) else "allow"
        expected, actual = example["expect_verdict"], verdict
    return ExampleResult(name=example.get("name", ""), passed=expected == actual, expected=expected, actual=actual)


def examples_run(version) -> list[ExampleResult]:
    """Runs every example of `version`; raises ConditionError when the condition itself is invalid."""
    compiled = condition_compile(version.condition)
    return [example_run(version, compiled, example) for example in version.examples]


def examples_failures_text(results: list[ExampleResult]) -> str:
    return "; ".join(
        f"example '{result.name}' expected {result.expected} but got {result.actual}"
        for result in results
        if not result.passed
    )


__all__ = ["ConditionError", "ExampleResult", "examples_run", "examples_validate"]
