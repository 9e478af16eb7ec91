"""The typed parameters of each effect, validated before anything is stored."""

from __future__ import annotations

from dataclasses import asdict, dataclass


class ParamsError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class NoParams:
    pass


@dataclass(frozen=True)
class CapParams:
    n: int
    days: int


@dataclass(frozen=True)
class PrescribeParams:
    action: str
    team: str
    due_hours: int
    repeat_days: int | None = None


_SCHEMAS = {"suppress": NoParams, "allow": NoParams, "cap": CapParams, "prescribe": PrescribeParams}


def _positive_int(value, field: str, errors: dict, *, optional: bool = False):
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        errors[field] = "must be a whole number of at least 1"
    return value


def params_parse(effect: str, params: dict | None) -> NoParams | CapParams | PrescribeParams:
    """Check `params` against the effect's schema; raise ParamsError naming every bad field."""
    from cxcore.models import ActionKind, Team

    if effect not in _SCHEMAS:
        raise ParamsError({"effect": f"unknown effect '{effect}'; use one of {', '.join(_SCHEMAS)}"})
    params = params or {}
    if not isinstance(params, dict):
        raise ParamsError({"params": "must be an object"})
    schema = _SCHEMAS[effect]
    allowed = set(schema.__dataclass_fields__)
    errors: dict[str, str] = {name: "is not a parameter of this effect" for name in params if name not in allowed}
    if effect == "cap":
        for field in ("n", "days"):
            _positive_int(params.get(field), field, errors)
    elif effect == "prescribe":
        if not ActionKind.objects.filter(key=params.get("action") or "").exists():
            errors["action"] = f"unknown action kind '{params.get('action')}'"
        if not Team.objects.filter(key=params.get("team") or "").exists():
            errors["team"] = f"unknown team '{params.get('team')}'"
        _positive_int(params.get("due_hours"), "due_hours", errors)
        _positive_int(params.get("repeat_days"), "repeat_days", errors, optional=True)
    if errors:
        raise ParamsError(errors)
    return schema(**{name: params.get(name) for name in allowed})


def params_clean(effect: str, params: dict | None) -> dict:
    """The canonical JSON of valid params (optional ones spelled out)."""
    return asdict(params_parse(effect, params))


def params_describe(effect: str, params: dict) -> str:
    if effect == "cap":
        return f"cap {params['n']} per {params['days']} days"
    if effect == "prescribe":
        text = f"prescribe {params['action']} for team {params['team']} within {params['due_hours']} hours"
        if params.get("repeat_days"):
            text += f", repeating every {params['repeat_days']} days"
        return text
    return effect
