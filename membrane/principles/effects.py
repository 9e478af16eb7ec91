"""The typed parameters of each effect, validated before anything is stored."""

from __future__ import annotations

from typing import Any

from cxcore.models import ActionKind, Team
from cxcore.schemas import Field, FieldError, Parser, Schema, integer
from cxcore.selectors import vocabulary_label


class ParamsError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


def _key_of(model, noun: str) -> Parser:
    """A key of a vocabulary as the database holds it now (one added in the admin a moment ago counts)."""

    def parse(value: Any) -> str:
        if not isinstance(value, str) or not model.objects.filter(key=value).exists():
            raise FieldError(f"unknown {noun} '{value}'")
        return value

    return parse


def _optional(parse: Parser) -> Parser:
    return lambda value: None if value is None else parse(value)


# Every instant a cap's window or a task's due time reaches is a date: a century bounds them well
# inside what date arithmetic can take (a cap over a billion days overflowed in each decision it scoped).
_DAYS = integer(minimum=1, maximum=36_500)
_HOURS = integer(minimum=1, maximum=36_500 * 24)
_DAYS_API = {"type": "integer", "minimum": 1, "maximum": 36_500}

PARAMS = {
    "suppress": Schema({}),
    "allow": Schema({}),
    "cap": Schema(
        {
            "n": Field(integer(minimum=1, maximum=2**31 - 1), {"type": "integer", "minimum": 1}, required=True),
            "days": Field(_DAYS, {**_DAYS_API, "description": "The window, in days."}, required=True),
        },
        description="At most n contacts in scope within the last `days` days.",
    ),
    "prescribe": Schema(
        {
            "action": Field(_key_of(ActionKind, "action kind"), {"type": "string"}, required=True),
            "team": Field(_key_of(Team, "team"), {"type": "string"}, required=True),
            "due_hours": Field(_HOURS, {"type": "integer", "minimum": 1, "maximum": 36_500 * 24}, required=True),
            "repeat_days": Field(_optional(_DAYS), {**_DAYS_API, "nullable": True}),
        },
        description="An action for a team, due within due_hours, again every repeat_days while the condition holds.",
    ),
}


def params_clean(effect: str, params: dict | None) -> dict:
    """The canonical JSON of valid params (optional ones spelled out); ParamsError names every bad field."""
    if effect not in PARAMS:
        raise ParamsError({"effect": f"unknown effect '{effect}'; use one of {', '.join(PARAMS)}"})
    params = params or {}
    if not isinstance(params, dict):
        raise ParamsError({"params": "must be an object"})
    schema = PARAMS[effect]
    errors = {str(name): "is not a parameter of this effect" for name in params if name not in schema.fields}
    found: list[dict] = []
    clean = schema.validate({name: value for name, value in params.items() if name in schema.fields}, errors=found)
    errors.update({problem["field"]: problem["message"] for problem in found})
    if errors:
        raise ParamsError(errors)
    return {name: clean.get(name) for name in schema.fields}


def params_describe(effect: str, params: dict) -> str:
    """The effect as people read it; a prescription names its action and team as the queue does."""
    if effect == "cap":
        return f"cap {params['n']} per {params['days']} days"
    if effect == "prescribe":
        action = vocabulary_label(vocabulary="action_kind", key=params["action"])
        team = vocabulary_label(vocabulary="team", key=params["team"])
        text = f"prescribe {action} for team {team} within {params['due_hours']} hours"
        if params.get("repeat_days"):
            text += f", repeating every {params['repeat_days']} days"
        return text
    return effect
