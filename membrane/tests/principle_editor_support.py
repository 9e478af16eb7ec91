"""Posting the principle editor's form as a browser does: every field, the examples as repeated row fields."""

from __future__ import annotations

import json

from membrane.principles.forms import content_of


def example_row(name: str, facts: str, expect: str = "match", *, team="", category="", channel="", contacts="") -> dict:
    return {
        "name": name,
        "facts": facts,
        "expect": expect,
        "team": team,
        "category": category,
        "channel": channel,
        "contacts": contacts,
    }


def editor_post(*, rows: list[dict] = (), **fields) -> dict:
    """The form's body: defaults for a valid suppress principle, `fields` over them, then the rows."""
    body = {
        "title": "Quiet while tickets are open",
        "rationale": "Do not *sell* to someone waiting for help.",
        "condition": "open_tickets > 0",
        "effect": "suppress",
        "priority": "100",
        "change_note": "",
        **fields,
    }
    for index, row in enumerate(rows):
        for name, value in {"key": f"r{index}", **row}.items():
            body.setdefault(f"ex_{name}", []).append(value)
    return body


def edit_post(version, *, rows: list[dict] = (), **fields) -> dict:
    """The edit form as loaded for `version` (its lock_version and the loaded content), `fields` over it."""
    loaded = {**content_of(version), "title": version.principle.title, "rationale": version.principle.rationale}
    values = {
        "title": version.principle.title,
        "rationale": version.principle.rationale,
        "condition": version.condition,
        "effect": version.effect,
        "priority": str(version.priority),
        "lock_version": str(version.lock_version),
        "loaded": json.dumps(loaded),
        "categories": version.categories,
        "channels": version.channels,
        "teams": version.teams,
        **{f"params-{name}": value for name, value in version.params.items() if value is not None},
        **fields,
    }
    return editor_post(rows=rows, **values)
