"""Principle tests: examples stored with a version, run against its compiled condition.

An example is `{"name", "facts": {...}, "interaction": {"team", "category", "channel"}, "contacts"?}`
with exactly one expectation: `"expect_match": true|false` (the version applies: in scope and its
condition holds) or `"expect_verdict": "allow"|"suppress"` (what this version alone would answer;
for a cap, `contacts` is the number of contacts in scope already within the window).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cxcore.schemas import Field, FieldError, Parser, Schema, choice, integer, text
from membrane.catalogue import facts_for
from membrane.expressions import FactSpec

from .conditions import CompiledCondition, ConditionError, condition_compile
from .scope import Scope

INTERACTION_KEYS = ("team", "category", "channel")


@dataclass(frozen=True)
class ExampleResult:
    name: str
    passed: bool
    expected: str
    actual: str


def examples_validate(examples, *, facts: Mapping[str, FactSpec] | None = None) -> dict[str, str]:
    """Errors by position ("examples[1].expect_match"); empty when every example is well formed.

    `facts`: the principle context's facts with the vocabularies' keys (membrane.catalogue.facts_for),
    read when not given: an example's facts and interaction name facts and keys that exist now.
    """
    if not isinstance(examples, list):
        return {"examples": "must be a list"}
    schema = example_schema(facts if facts is not None else facts_for("principle"))
    errors: dict[str, str] = {}
    for index, example in enumerate(examples):
        where = f"examples[{index}]"
        found: list[dict] = []
        schema.validate(example, errors=found)
        errors.update({f"{where}.{p['field']}" if p["field"] else where: p["message"] for p in found})
        if isinstance(example, dict) and ("expect_match" in example) == ("expect_verdict" in example):
            errors[where] = "give exactly one of expect_match (true/false) or expect_verdict (allow/suppress)"
    return errors


def example_schema(facts: Mapping[str, FactSpec]) -> Schema:
    """An example, its facts and interaction checked against `facts` (with or without their values)."""
    interaction = Schema({key: Field(_fact_value(facts[key]), {"type": "string"}) for key in INTERACTION_KEYS})
    return Schema(
        {
            "name": Field(text(200), {"type": "string", "maxLength": 200}, required=True),
            "facts": Field(_fact_values(facts), {"type": "object", "description": "Fact name -> value (or null)."}),
            "interaction": Field(
                _nested(interaction), {**interaction.openapi(), "description": "Missing keys are none."}
            ),
            "expect_match": Field(_boolean, {"type": "boolean"}),
            "expect_verdict": Field(choice(["allow", "suppress"]), {"type": "string", "enum": ["allow", "suppress"]}),
            "contacts": Field(
                integer(minimum=0, maximum=2**31 - 1),
                {"type": "integer", "minimum": 0, "description": "For a cap: contacts in scope within the window."},
            ),
        },
        description="Exactly one of expect_match and expect_verdict.",
    )


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise FieldError("must be true or false")
    return value


_MUST_BE = {
    "int": "must be a whole number or null",
    "decimal": "must be a number or null",
    "bool": "must be true, false or null",
    "str": "must be a string or null",
}
_KIND = {bool: "bool", int: "int", float: "decimal", str: "str"}


def _fact_value(spec: FactSpec) -> Parser:
    """A value `spec` can take, or null: of its type, and one of its values when it has a set of them."""

    def parse(value: Any) -> Any:
        if value is None:
            return None
        kind = _KIND.get(type(value))
        if kind != spec.type and not (spec.type == "decimal" and kind == "int"):
            raise FieldError(_MUST_BE[spec.type])
        if spec.values is not None and value not in spec.values:
            close = difflib.get_close_matches(value, sorted(spec.values), n=1)
            raise FieldError(f"unknown {spec.name} '{value}'" + (f" — did you mean '{close[0]}'?" if close else ""))
        return value

    return parse


def _fact_values(facts: Mapping[str, FactSpec]) -> Parser:
    """An object of facts the condition can read, each with a value of its type: the predicate compares them."""

    def parse(value: Any) -> dict:
        if not isinstance(value, dict):
            raise FieldError("must be an object of fact values")
        problems = []
        for name, fact_value in value.items():
            spec = facts.get(name)
            if spec is None:
                close = difflib.get_close_matches(str(name), list(facts), n=1)
                problems.append(f"unknown fact '{name}'" + (f" — did you mean '{close[0]}'?" if close else ""))
                continue
            try:
                _fact_value(spec)(fact_value)
            except FieldError as error:
                problems.append(f"{name}: {error}")
        if problems:
            raise FieldError("; ".join(problems))
        return value

    return parse


def _nested(schema: Schema) -> Parser:
    """A JSON object inside an example, its problems in one message ("team: unknown team 'x'")."""

    def parse(value: Any) -> dict:
        found: list[dict] = []
        clean = schema.validate(value, errors=found)
        if clean is None:
            raise FieldError("; ".join(f"{p['field']}: {p['message']}" if p["field"] else p["message"] for p in found))
        return value

    return parse


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


# The stage rules' examples check their facts the same way (membrane.stages.authoring).
fact_values_parser = _fact_values

__all__ = ["ConditionError", "ExampleResult", "examples_run", "examples_validate", "fact_values_parser"]
