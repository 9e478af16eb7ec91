"""Diffs between versions, over one canonical text rendering of what a version says."""

from __future__ import annotations

import difflib
import json

from .effects import params_describe


def version_text(version) -> list[str]:
    """The lines a reviewer reads: scope, condition, effect, priority; empty scope lists read 'all'."""

    def listing(values) -> str:
        return ", ".join(sorted(values)) if values else "all"

    lines = [
        f"categories: {listing(version.categories)}",
        f"channels: {listing(version.channels)}",
        f"teams: {listing(version.teams)}",
        "condition:",
        *(f"  {line}" for line in version.condition.strip().splitlines()),
        f"effect: {params_describe(version.effect, version.params)}",
        f"priority: {version.priority}",
        "examples:",
        *(f"  {json.dumps(example, sort_keys=True)}" for example in version.examples),
    ]
    return lines


def version_diff(old, new) -> list[str]:
    """Unified diff lines from `old` (None: an empty version) to `new`."""
    before = version_text(old) if old is not None else []
    label_old = f"v{old.number}" if old is not None else "nothing"
    return list(
        difflib.unified_diff(before, version_text(new), fromfile=label_old, tofile=f"v{new.number}", lineterm="")
    )
