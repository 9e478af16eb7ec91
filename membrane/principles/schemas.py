"""A principle version's content, checked by typed schemas before anything is stored (cxcore.schemas' Schema).

The version's fields have one schema, an effect's params one per effect (effects.PARAMS), an example
one of its own (tests_runner.example_schema); every problem of all of them is named by its path:
"categories", "params.days", "examples[0].facts", and "scope" for the rule that spans two fields.
"""

from __future__ import annotations

from typing import Any

from cxcore.models import Category, Channel, Team
from cxcore.schemas import Field, FieldError, Parser, Schema, integer, text
from membrane.models.principles import Effect

from .conditions import ConditionError, condition_check
from .effects import PARAMS, ParamsError, params_clean
from .tests_runner import examples_validate

SCOPE_FIELDS = ("categories", "channels", "teams")


def _storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _keys(model, name: str) -> Parser:
    """A scope: keys of a vocabulary as the database holds them now, canonical (sorted, once each)."""

    def parse(value: Any) -> list[str]:
        value = [] if value is None else value
        if not isinstance(value, list) or not all(isinstance(key, str) for key in value):
            raise FieldError("must be a list of keys (empty means all)")
        # A key PostgreSQL cannot hold (NUL) or psycopg cannot encode (a lone surrogate) is unknown without
        # asking: looking it up would be a 500 (schemathesis sent both).
        lookable = [key for key in value if _storable(key)]
        unknown = sorted(set(value) - set(model.objects.filter(key__in=lookable).values_list("key", flat=True)))
        if unknown:
            shown = (key if _storable(key) else repr(key) for key in unknown)  # the answer must encode too
            raise FieldError(f"unknown {name}: {', '.join(shown)}")
        return sorted(set(value))

    return parse


def _condition(value: Any) -> str:
    if not isinstance(value, str):
        raise FieldError("must be a string: an expression (write true for always)")
    if not value.strip():
        raise FieldError("a condition is required (write true for always)")
    try:
        condition_check(value)
    except ConditionError as error:
        raise FieldError(str(error)) from None
    return value


def _effect(value: Any) -> str:
    if value not in Effect.values:
        raise FieldError(f"must be one of {', '.join(Effect.values)}")
    return value


def _checked_below(value: Any) -> Any:
    # params and examples have schemas of their own (by effect, per example), whose errors name the
    # field inside them; version_fields_check runs those.
    return value


_SCOPE_API = {"type": "array", "items": {"type": "string"}, "description": "Vocabulary keys; empty means all."}

VERSION = Schema(
    {
        "categories": Field(_keys(Category, "categories"), _SCOPE_API),
        "channels": Field(_keys(Channel, "channels"), _SCOPE_API),
        "teams": Field(_keys(Team, "teams"), _SCOPE_API),
        "condition": Field(_condition, {"type": "string", "description": "An expression (principle context)."}),
        "effect": Field(_effect, {"type": "string", "enum": list(Effect.values)}),
        "params": Field(_checked_below, {"oneOf": [schema.openapi() for schema in PARAMS.values()]}),
        # The column is a 32-bit integer.
        "priority": Field(integer(minimum=-(2**31), maximum=2**31 - 1), {"type": "integer"}),
        "examples": Field(_checked_below, {"type": "array", "items": {"type": "object"}}),
        "change_note": Field(text(10_000, blank=True), {"type": "string", "maxLength": 10_000}),
    },
    description="A version's content.",
)


def version_fields_check(fields: dict) -> tuple[dict, dict[str, str]]:
    """(the content canonical, {}) or ({}, every problem by its path)."""
    found: list[dict] = []
    clean = VERSION.validate(fields, errors=found)
    errors = {problem["field"]: problem["message"] for problem in found}
    effect = fields.get("effect")
    params = None
    if "effect" not in errors:
        try:
            params = params_clean(effect, fields.get("params"))
        except ParamsError as error:
            errors.update({f"params.{field}": message for field, message in error.errors.items()})
        if effect == Effect.PRESCRIBE and any(fields.get(name) for name in SCOPE_FIELDS):
            errors["scope"] = "a prescribed action is for the customer, not for one interaction: leave the scope empty"
    errors.update(examples_validate(fields.get("examples", [])))
    if clean is None or errors:
        return {}, errors
    return {**clean, "params": params}, {}
