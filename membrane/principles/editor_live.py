"""What the principle editor shows while a version is being written, before anything is stored.

The condition's problems placed in its text (where to underline, what a one-click fix replaces), the
examples run against the unsaved content, and whether the version could be published as it stands.
The check is the expression check endpoint's (membrane.expressions.check_report); the examples run
through tests_runner's own validation and runner, so the editor never judges anything its own way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from membrane.catalogue import customer_fact_definitions, facts_for
from membrane.expressions import check_report
from membrane.models.principles import PrincipleVersion

from .conditions import ConditionError, condition_compile
from .effects import ParamsError, params_clean
from .tests_runner import example_run, examples_validate

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_OPERATOR = re.compile(r"[=!<>&|]+")


@dataclass(frozen=True)
class Mark:
    """One problem of the condition, with offsets in UTF-16 code units: what a textarea's selection counts."""

    line: int
    column: int
    message: str
    suggestion: str | None
    start: int  # the stretch to underline
    end: int
    fix_start: int  # the stretch the suggestion replaces
    fix_end: int
    replacement: str  # the suggestion, spaced so that it does not run into a neighbouring word
    replaced: str  # the text the fix replaces: the page applies it only while that text is still there


@dataclass(frozen=True)
class Segment:
    text: str
    marked: bool


@dataclass(frozen=True)
class ConditionReport:
    ok: bool
    marks: tuple[Mark, ...]
    facts: tuple[str, ...]  # when ok: the facts the condition reads
    segments: tuple[Segment, ...]  # the text cut at the marks, for the underlining copy behind the textarea

    @property
    def blank(self) -> bool:
        return not any(segment.text.strip() for segment in self.segments)


def condition_report(source: str, context: str = "principle") -> ConditionReport:
    """The check of the expression check endpoint, each problem placed in `source`; `context` is the
    catalogue's ("principle", or "stage_rule" for the stage rules' editor, which has no interaction)."""
    if not source.strip():  # nothing written yet: nothing to underline, the page asks for a condition
        return ConditionReport(False, (), (), (Segment(source, False),))
    report = check_report(source, facts_for(context))
    if report["ok"]:
        return ConditionReport(True, (), tuple(report["facts"]), (Segment(source, False),))
    marks = tuple(_mark(source, problem) for problem in report["errors"])
    return ConditionReport(False, marks, (), _segments(source, marks))


def _offset(source: str, line: int, column: int) -> int:
    """A 1-based line and column as an index into `source`."""
    lines = source.split("\n")
    before = sum(len(text) + 1 for text in lines[: max(line - 1, 0)])
    return min(before + max(column - 1, 0), len(source))


def token_span(source: str, at: int) -> tuple[int, int]:
    """The word, number, string or run of operator characters starting at `at` (empty at the end)."""
    if at >= len(source):
        return at, at
    char = source[at]
    line_end = source.find("\n", at)
    line_end = len(source) if line_end == -1 else line_end
    if char in "\"'":
        index = at + 1
        while index < line_end and source[index] != char:
            index += 2 if source[index] == "\\" else 1
        return at, min(index + 1, line_end)
    for pattern in (_WORD, _NUMBER, _OPERATOR):
        found = pattern.match(source, at)
        if found:
            return at, found.end()
    return at, at + 1


def _fix_span(source: str, start: int, end: int, suggestion: str) -> tuple[int, int]:
    """What the suggestion replaces: the token at the problem, or the word before it when the suggestion
    completes that word ("expected 'in' after 'not'" suggests 'not in' for the 'not' already written)."""
    words = suggestion.split()
    if len(words) > 1:
        before = source[:start].rstrip()
        previous = re.search(r"[A-Za-z_]+$", before)
        if previous and previous.group() == words[0]:
            return previous.start(), previous.end()
    return start, end


def _spaced(source: str, start: int, end: int, replacement: str) -> str:
    if replacement[:1].isalnum() and start > 0 and (source[start - 1].isalnum() or source[start - 1] == "_"):
        replacement = " " + replacement
    if replacement[-1:].isalnum() and end < len(source) and (source[end].isalnum() or source[end] == "_"):
        replacement += " "
    return replacement


def _utf16(source: str, index: int) -> int:
    return len(source[:index].encode("utf-16-le")) // 2


def _mark(source: str, problem: dict) -> Mark:
    at = _offset(source, problem["line"], problem["column"])
    start, end = token_span(source, at)
    suggestion = problem.get("suggestion")
    fix_start, fix_end = _fix_span(source, start, end, suggestion) if suggestion else (start, end)
    replacement = _spaced(source, fix_start, fix_end, suggestion) if suggestion else ""
    return Mark(
        line=problem["line"],
        column=problem["column"],
        message=problem["message"],
        suggestion=suggestion,
        start=_utf16(source, start),
        end=_utf16(source, end),
        fix_start=_utf16(source, fix_start),
        fix_end=_utf16(source, fix_end),
        replacement=replacement,
        replaced=source[fix_start:fix_end],
    )


def _segments(source: str, marks: tuple[Mark, ...]) -> tuple[Segment, ...]:
    """`source` cut into plain and marked stretches; overlapping marks merge, an empty one (the end of the
    text) becomes a marked space so that it can be seen."""
    units = source.encode("utf-16-le")

    def text(start: int, end: int) -> str:
        return units[start * 2 : end * 2].decode("utf-16-le")

    segments: list[Segment] = []
    position = 0
    for mark in sorted(marks, key=lambda m: (m.start, m.end)):
        start, end = max(mark.start, position), max(mark.end, position)
        if end == start and mark.start < position:
            continue
        if start > position:
            segments.append(Segment(text(position, start), False))
        segments.append(Segment(text(start, end) or " ", True))
        position = end
    if position * 2 < len(units):
        segments.append(Segment(text(position, len(units) // 2), False))
    return tuple(segments)


@dataclass(frozen=True)
class ExampleOutcome:
    """One example of the table: "pass", "fail", "invalid" (its own fields are wrong) or "unknown" (the
    condition or the effect's parameters must be fixed before it can run)."""

    name: str
    status: str
    detail: str


# The runner's outcomes ("match true", "suppress") as the table's select words them.
_WORDED = {"match true": "applies", "match false": "does not apply", "allow": "allow", "suppress": "suppress"}


def examples_outcomes(content: dict, report: ConditionReport) -> list[ExampleOutcome]:
    """Each example of the unsaved content, run against its unsaved condition, scope and effect."""
    examples = content.get("examples") or []
    errors = examples_validate(examples)
    version, params_ok = _unsaved_version(content)
    compiled = None
    if report.ok:
        try:
            compiled = condition_compile(content.get("condition") or "")
        except ConditionError:
            compiled = None
    outcomes = []
    for index, example in enumerate(examples):
        name = example.get("name") or f"example {index + 1}"
        problems = [message for path, message in errors.items() if path.startswith(f"examples[{index}]")]
        if problems:
            outcomes.append(ExampleOutcome(name, "invalid", "; ".join(problems)))
        elif compiled is None:
            outcomes.append(ExampleOutcome(name, "unknown", "fix the condition to run it"))
        elif not params_ok and "expect_verdict" in example:
            outcomes.append(ExampleOutcome(name, "unknown", "fix the effect's parameters to run it"))
        else:
            result = example_run(version, compiled, example)
            expected, actual = _WORDED.get(result.expected, result.expected), _WORDED.get(result.actual, result.actual)
            if result.passed:
                outcomes.append(ExampleOutcome(name, "pass", f"{actual}, as expected"))
            else:
                outcomes.append(ExampleOutcome(name, "fail", f"expected {expected}, got {actual}"))
    return outcomes


def _unsaved_version(content: dict) -> tuple[PrincipleVersion, bool]:
    """The content as an unsaved version (what the runner reads: scope, effect, params), and whether its
    effect and parameters are valid (a verdict depends on them; a match does not)."""
    try:
        params, params_ok = params_clean(content.get("effect"), content.get("params")), True
    except ParamsError:
        params, params_ok = {}, False
    version = PrincipleVersion(
        categories=content.get("categories") or [],
        channels=content.get("channels") or [],
        teams=content.get("teams") or [],
        effect=content.get("effect") or "",
        params=params,
    )
    return version, params_ok


def publish_readiness(report: ConditionReport, outcomes: list[ExampleOutcome]) -> tuple[bool, str]:
    """(whether the examples let it be published, the sentence that says so or names what blocks it)."""
    if report.blank:
        return False, "Publishing is blocked: write the condition first."
    if not report.ok:
        return False, "Publishing is blocked: the condition has errors."
    blocking = [outcome for outcome in outcomes if outcome.status != "pass"]
    if blocking:
        named = "; ".join(f"'{outcome.name}' ({outcome.status}: {outcome.detail})" for outcome in blocking)
        return False, f"Publishing is blocked by {len(blocking)} example{'s' if len(blocking) > 1 else ''}: {named}."
    if not outcomes:
        return True, "No examples yet: add one that matches and one that does not, to show what the principle does."
    return True, "The example passes." if len(outcomes) == 1 else f"All {len(outcomes)} examples pass."


# The interaction's facts exist only in a principle's condition (membrane.catalogue); their meaning is
# the decision's question, so the catalogue of customer facts does not describe them.
_INTERACTION_MEANINGS = {
    "team": ("The team asking to make the contact.", "marketing_devices"),
    "category": ("The kind of contact asked about.", "marketing"),
    "channel": ("The channel of the contact.", "email"),
    "local_hour": ("The hour of the day (0-23) in the customer's time zone.", 19),
    "weekday": ("The day of the week in the customer's time zone, in lowercase.", "sunday"),
}


@dataclass(frozen=True)
class FactRow:
    name: str
    type: str
    meaning: str
    example: str
    values: tuple[str, ...]  # the values a string fact can take, when it has a set of them


def fact_panel(context: str = "principle") -> list[FactRow]:
    """The facts a condition of `context` may read, with their meaning and an example, in catalogue order."""
    described = {fact.name: (fact.description, fact.example) for fact in customer_fact_definitions()}
    described.update(_INTERACTION_MEANINGS)
    rows = []
    for name, spec in facts_for(context).items():
        meaning, example = described.get(name, ("", None))
        rows.append(
            FactRow(
                name=name,
                type=spec.type,
                meaning=meaning,
                example=_literal(name, spec.type, example),
                values=tuple(sorted(spec.values)) if spec.values else (),
            )
        )
    return rows


def _literal(name: str, kind: str, example) -> str:
    """An example written as a condition would compare it, so the value's spelling shows (quotes or not)."""
    if example is None:
        return ""
    if kind == "bool":
        return f"{name} == {'true' if example else 'false'}"
    if kind == "str":
        return f'{name} == "{example}"'
    return f"{name} == {example}"


_LABELS = {
    "title": "title",
    "rationale": "rationale",
    "categories": "categories",
    "channels": "channels",
    "teams": "teams",
    "condition": "condition",
    "effect": "effect",
    "params": "effect's parameters",
    "priority": "priority",
    "examples": "examples",
    "change_note": "change note",
}
_SHOWN_WHOLE = {"title", "categories", "channels", "teams", "condition", "effect", "params", "priority"}


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str
    mine: str  # the same field in a third copy (what the person whose save was refused typed), "" if none


def content_changes(before: dict, after: dict, mine: dict | None = None) -> list[Change]:
    """The fields that differ between two copies of a draft's content (title and rationale included):
    short ones with both values, long ones (the rationale, the examples) by what changed in size; each
    with its value in `mine` too, when given."""
    mine = mine or {}
    changes = []
    for name, label in _LABELS.items():
        old, new = before.get(name), after.get(name)
        if old == new or (name in ("categories", "channels", "teams") and sorted(old or []) == sorted(new or [])):
            continue
        if name in _SHOWN_WHOLE:
            shown = [_shown(name, value) for value in (old, new, mine.get(name))]
        elif name == "examples":
            shown = [f"{len(value or [])} examples" for value in (old, new, mine.get(name))]
        else:
            shown = [f"{len(value or '')} characters" for value in (old, new, mine.get(name))]
        changes.append(Change(label, *shown[:2], shown[2] if name in mine else ""))
    return changes


def _shown(name: str, value) -> str:
    if name in ("categories", "channels", "teams"):
        return ", ".join(sorted(value or [])) or "all"
    if name == "params":
        return ", ".join(f"{key} {item}" for key, item in (value or {}).items() if item is not None) or "none"
    return "" if value is None else str(value)
