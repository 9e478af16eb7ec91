"""Diffs between versions: a unified diff over one canonical text of what a version says (the API's), and a
side-by-side diff section by section (the console's)."""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass

from .effects import params_describe
from .tests_runner import INTERACTION_KEYS


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


# The rationale is the principle's, not a version's (DESIGN.md section 7): no version differs in it.
SECTIONS = ("scope", "condition", "effect", "params", "priority", "examples", "change note")


@dataclass(frozen=True)
class DiffRow:
    """One line of a side-by-side diff; a side is None where the line exists on the other side only."""

    kind: str  # "equal", "changed", "removed" (old side only) or "added" (new side only)
    old: str | None
    new: str | None
    old_number: int | None
    new_number: int | None
    # A changed line in (text, differs) pieces, so the few characters that differ stand out; empty when the
    # two lines have too little in common for that to help.
    old_parts: tuple[tuple[str, bool], ...] = ()
    new_parts: tuple[tuple[str, bool], ...] = ()


@dataclass(frozen=True)
class DiffSection:
    name: str
    rows: list[DiffRow]

    @property
    def changed(self) -> bool:
        return any(row.kind != "equal" for row in self.rows)


def _listing(values) -> str:
    return ", ".join(sorted(values)) if values else "all"


def _value(value) -> str:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else f'"{value}"'


def _example_lines(example: dict) -> list[str]:
    """An example as a reviewer reads it, a line a part, so one changed fact value marks one line."""
    interaction = example.get("interaction", {})
    if "expect_match" in example:
        expects = f"expects: match {str(example['expect_match']).lower()}"
    else:
        expects = f"expects: verdict {example.get('expect_verdict')}"
    lines = [f"example “{example.get('name', '')}”"]
    lines += [f"  {name} = {_value(value)}" for name, value in sorted(example.get("facts", {}).items())]
    lines.append("  interaction: " + ", ".join(f"{key} {interaction.get(key) or 'none'}" for key in INTERACTION_KEYS))
    if "contacts" in example:
        lines.append(f"  contacts in the window: {example['contacts']}")
    lines.append(f"  {expects}")
    return lines


def version_sections(version) -> dict[str, list[str]]:
    """What a version says, by section, as the lines the side-by-side diff compares; None: nothing."""
    if version is None:
        return dict.fromkeys(SECTIONS, [])
    return {
        "scope": [
            f"categories: {_listing(version.categories)}",
            f"channels: {_listing(version.channels)}",
            f"teams: {_listing(version.teams)}",
        ],
        "condition": version.condition.strip().splitlines(),
        "effect": [params_describe(version.effect, version.params)],
        "params": [f"{name}: {_value(value)}" for name, value in sorted(version.params.items())],
        "priority": [str(version.priority)],
        "examples": [line for example in version.examples for line in _example_lines(example)],
        "change note": (version.change_note or "").strip().splitlines(),
    }


def _tokens(line: str) -> list[str]:
    # Words, runs of spaces, single punctuation: "100" -> "120" marks the number, not one digit of it.
    return re.findall(r"\w+|\s+|[^\w\s]", line)


def _pieces(old: str, new: str) -> tuple[tuple[tuple[str, bool], ...], tuple[tuple[str, bool], ...]]:
    a, b = _tokens(old), _tokens(new)
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    if matcher.ratio() < 0.5:
        return (), ()
    left, right = [], []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if i2 > i1:
            left.append(("".join(a[i1:i2]), tag != "equal"))
        if j2 > j1:
            right.append(("".join(b[j1:j2]), tag != "equal"))
    return tuple(left), tuple(right)


def _changed(old: str, new: str, old_number: int, new_number: int) -> DiffRow:
    old_parts, new_parts = _pieces(old, new)
    return DiffRow("changed", old, new, old_number, new_number, old_parts, new_parts)


def _side_by_side(old: list[str], new: list[str]) -> list[DiffRow]:
    rows = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows += [
                DiffRow("equal", old[i], new[j], i + 1, j + 1)
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            ]
            continue
        # A replaced block pairs its lines in order; the longer side's rest stands alone.
        for offset in range(max(i2 - i1, j2 - j1)):
            i, j = i1 + offset, j1 + offset
            if i < i2 and j < j2:
                rows.append(_changed(old[i], new[j], i + 1, j + 1))
            elif i < i2:
                rows.append(DiffRow("removed", old[i], None, i + 1, None))
            else:
                rows.append(DiffRow("added", None, new[j], None, j + 1))
    return rows


def version_sides(old, new) -> list[DiffSection]:
    """Side-by-side rows, section by section, from `old` to `new` (either may be None: an empty version)."""
    before, after = version_sections(old), version_sections(new)
    return [DiffSection(name, _side_by_side(before[name], after[name])) for name in SECTIONS]
