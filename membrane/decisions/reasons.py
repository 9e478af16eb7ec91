"""One sentence a business user understands, from the facts a condition read."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

STAGE_PHRASES = {
    "crisis": "in crisis",
    "at_risk": "at risk",
    "onboarding": "onboarding",
    "active": "active",
    "loyal": "loyal",
    "dormant": "dormant",
}


def _days(n) -> str:
    if n is None:
        return "an unknown time"
    if n < 1:
        return "less than a day"
    return "1 day" if n == 1 else f"{n} days"


def _count(n, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _stage(row: Mapping) -> str:
    stage = row.get("stage")
    phrase = STAGE_PHRASES.get(stage, f"in the stage '{stage}'")
    return f"the customer has been {phrase} for {_days(row.get('days_in_stage'))}"


PHRASES: dict[str, Callable[[Mapping], str]] = {
    "stage": _stage,
    "days_in_stage": _stage,
    "previous_stage": lambda row: (
        f"the customer was {STAGE_PHRASES.get(row.get('previous_stage'), row.get('previous_stage'))} before"
    ),
    "open_tickets": lambda row: f"the customer has {_count(row.get('open_tickets'), 'open ticket', 'open tickets')}",
    "eta_given": lambda row: (
        "every open ticket has a resolution time (ETA)"
        if row.get("eta_given")
        else "no resolution time (ETA) has been given yet"
    ),
    "open_tickets_without_eta": lambda row: (
        _count(row.get("open_tickets_without_eta"), "open ticket has", "open tickets have")
        + " no resolution time (ETA)"
    ),
    "max_issue_recurrence_90d": lambda row: (
        f"the same problem has occurred {_count(row.get('max_issue_recurrence_90d'), 'time', 'times')} in 90 days"
    ),
    "open_high_severity_tickets": lambda row: (
        "the customer has "
        + _count(row.get("open_high_severity_tickets"), "open high-severity ticket", "open high-severity tickets")
    ),
    "complaints_30d": lambda row: (
        f"the customer complained {_count(row.get('complaints_30d'), 'time', 'times')} in 30 days"
    ),
    "contacts_7d": lambda row: (
        f"the customer was contacted {_count(row.get('contacts_7d'), 'time', 'times')} in 7 days"
    ),
}


def _generic(name: str, row: Mapping) -> str:
    value = row.get(name)
    if value is None:
        return f"{name.replace('_', ' ')} is unknown"
    return f"{name.replace('_', ' ')} is {str(value).lower() if isinstance(value, bool) else value}"


def explain(facts: Sequence[str], row: Mapping) -> str:
    """'the customer has been in crisis for 2 days and ...' for the facts a condition read, in its order."""
    phrases: list[str] = []
    for name in facts:
        phrase = PHRASES[name](row) if name in PHRASES else _generic(name, row)
        if phrase not in phrases:
            phrases.append(phrase)
    if not phrases:
        return "it always applies"
    return phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]
