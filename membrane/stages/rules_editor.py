"""The stage rules' editor as typed: its rows read from the form, and what it shows before anything is stored.

Each rule's condition is checked and placed in its text by the principle editor's condition_report (context
"stage_rule"); the content as a whole is judged by authoring.ruleset_content_clean, the check the save runs,
and the examples run through authoring.examples_run_for against the unsaved rules: the editor never judges
anything its own way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from membrane.expressions import ExpressionError
from membrane.models import StageRuleSet
from membrane.principles.editor_live import ConditionReport, condition_report
from membrane.principles.forms import facts_format, facts_parse
from membrane.principles.services import InvalidVersion

from .authoring import examples_run_for, ruleset_content_clean
from .rules import CompiledRuleSet, rules_compile

_KEY_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def _key(raw: str, fallback: str) -> str:
    """A row's key as the page's element ids use it: short, of safe characters, or one made up."""
    return raw if raw and len(raw) <= 24 and set(raw) <= _KEY_CHARS else fallback


@dataclass
class RuleRow:
    key: str
    stage: str = ""
    condition: str = ""
    note: str = ""
    errors: list[str] = field(default_factory=list)

    def rule(self) -> dict:
        return {"stage": self.stage, "condition": self.condition, "note": self.note}


@dataclass
class ExampleRow:
    key: str
    name: str = ""
    facts: str = ""
    expect: str = ""
    errors: list[str] = field(default_factory=list)

    def example(self) -> dict | None:
        """The example this row reads as; None (with the reason in errors) when its facts cannot be read."""
        try:
            facts = facts_parse(self.facts)
        except ValueError as error:
            self.errors.append(f"facts: {error}")
            return None
        return {"name": self.name.strip(), "facts": facts, "expect_stage": self.expect}


def _columns(data, prefix: str, names: tuple[str, ...]) -> list[dict[str, str]]:
    """Rows from a POST where every row submits each of its fields once, in order (<prefix>_<name>)."""
    columns = {name: data.getlist(f"{prefix}_{name}") for name in names}
    return [
        {name: (values[index] if index < len(values) else "") for name, values in columns.items()}
        for index in range(len(columns["key"]))
    ]


def content_of(ruleset: StageRuleSet) -> dict:
    """A stored version's content as the editor loads it."""
    rules = list(ruleset.rules.order_by("position").values("stage", "condition", "note"))
    return {
        "rules": rules,
        "default_stage": ruleset.default_stage,
        "examples": ruleset.examples,
        "change_note": ruleset.change_note,
    }


def rule_rows_of(rules: list[dict]) -> list[RuleRow]:
    return [
        RuleRow(f"r{index}", rule["stage"], rule["condition"], rule.get("note") or "")
        for index, rule in enumerate(rules)
    ]


def example_rows_of(examples: list[dict]) -> list[ExampleRow]:
    return [
        ExampleRow(
            f"e{index}",
            example.get("name", ""),
            facts_format(example.get("facts") or {}),
            example.get("expect_stage", ""),
        )
        for index, example in enumerate(examples)
    ]


class EditorInput:
    """The editor's content as typed: the rules in their order, the default stage, the examples, the change note."""

    def __init__(self, *, rules, examples, default_stage, change_note, lock_version, overwrite=None, loaded=""):
        self.rules: list[RuleRow] = rules
        self.examples: list[ExampleRow] = examples
        self.default_stage: str = default_stage
        self.change_note: str = change_note
        self.lock_version: int | None = lock_version
        self.overwrite: int | None = overwrite
        self.loaded: str = loaded  # the content as the page was loaded (JSON): what a conflict compares with
        self.errors: dict[str, str] = {}
        # Which row each example of the content came from: a row whose facts cannot be read is not among them.
        self._example_rows: list[ExampleRow] = []
        self._examples: list[dict] = []
        for row in self.examples:
            example = row.example()
            if example is not None:
                self._example_rows.append(row)
                self._examples.append(example)

    @classmethod
    def from_post(cls, data) -> EditorInput:
        return cls(
            rules=[
                RuleRow(
                    _key(row["key"], f"r{index}"), row["stage"], row["condition"].replace("\r\n", "\n"), row["note"]
                )
                for index, row in enumerate(_columns(data, "rule", ("key", "stage", "condition", "note")))
            ],
            examples=[
                ExampleRow(_key(row["key"], f"e{index}"), row["name"], row["facts"], row["expect"])
                for index, row in enumerate(_columns(data, "ex", ("key", "name", "facts", "expect")))
            ],
            default_stage=data.get("default_stage", ""),
            change_note=data.get("change_note", "").strip(),
            lock_version=_integer(data.get("lock_version")),
            overwrite=_integer(data.get("overwrite")),
            loaded=data.get("loaded", ""),
        )

    @classmethod
    def of(cls, ruleset: StageRuleSet) -> EditorInput:
        """A stored version as the editor loads it: the rows a POST of the untouched page would give."""
        loaded = content_of(ruleset)
        return cls(
            rules=rule_rows_of(loaded["rules"]),
            examples=example_rows_of(loaded["examples"]),
            default_stage=loaded["default_stage"],
            change_note=loaded["change_note"],
            lock_version=ruleset.lock_version,
            loaded=json.dumps(loaded),
        )

    def content(self) -> dict:
        return {
            "rules": [row.rule() for row in self.rules],
            "default_stage": self.default_stage,
            "examples": self._examples,
        }

    @property
    def readable(self) -> bool:
        return len(self._examples) == len(self.examples)

    def errors_add(self, errors: dict[str, str]) -> None:
        """The service's errors, by path ("rules[1].condition"), put on the rows they are about."""
        for path, message in errors.items():
            row = _row_at(path, "rules", self.rules) or _row_at(path, "examples", self._example_rows)
            if row is not None:
                row.errors.append(f"{path.split('.', 1)[-1] if '.' in path else 'row'}: {message}")
            else:
                self.errors[path] = message


def _row_at(path: str, prefix: str, rows: list):
    if not path.startswith(f"{prefix}["):
        return None
    try:
        index = int(path[len(prefix) + 1 : path.index("]")])
    except ValueError:
        return None
    return rows[index] if 0 <= index < len(rows) else None


def _integer(raw) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class ExampleOutcome:
    """ "pass", "fail", "invalid" (the example's own fields are wrong) or "unknown" (the rules must be fixed first)."""

    name: str
    status: str
    detail: str


def content_errors(content: dict) -> dict[str, str]:
    """Every problem the save would refuse the content for, by path; none when it would be stored."""
    try:
        ruleset_content_clean(**content)
    except InvalidVersion as error:
        return error.errors
    return {}


def draft_compile(content: dict, errors: dict[str, str]) -> CompiledRuleSet | None:
    """The unsaved rules compiled, or None while a rule or the default stage has a problem."""
    if any(path.startswith("rules") or path == "default_stage" for path in errors):
        return None
    rules = [(index + 1, rule["stage"], rule["condition"]) for index, rule in enumerate(content["rules"])]
    try:
        return rules_compile(number=0, default_stage=content["default_stage"], rules=rules)
    except ExpressionError:
        return None


def live(editor: EditorInput) -> dict:
    """Each rule's condition report, each example row's outcome and the publish readiness, as typed."""
    content = editor.content()
    errors = content_errors(content)
    compiled = draft_compile(content, errors)
    reports = [condition_report(row.condition, "stage_rule") for row in editor.rules]
    examples = iter(content["examples"])
    outcomes, position = [], 0
    for row in editor.examples:
        name = row.name.strip() or "unnamed example"
        if row.errors:
            outcomes.append(ExampleOutcome(name, "invalid", "; ".join(row.errors)))
            continue
        example = next(examples)
        problems = [message for path, message in errors.items() if path.startswith(f"examples[{position}]")]
        position += 1
        if problems:
            # Run only examples the save would accept: a fact of the wrong type is not the rules' failure.
            outcomes.append(ExampleOutcome(name, "invalid", "; ".join(problems)))
            continue
        if compiled is None:
            outcomes.append(ExampleOutcome(name, "unknown", "fix the rules to run it"))
            continue
        [result] = examples_run_for(compiled=compiled, examples=[example])
        if result.passed:
            outcomes.append(ExampleOutcome(name, "pass", f"{result.actual}, as expected"))
        else:
            outcomes.append(ExampleOutcome(name, "fail", f"expected {result.expected}, got {result.actual}"))
    publishable, readiness = _readiness(editor, reports, errors, outcomes)
    return {
        "rule_rows": list(zip(editor.rules, reports, strict=True)),
        "results": list(zip(editor.examples, outcomes, strict=True)),
        "rules_error": errors.get("rules", ""),
        "publishable": publishable,
        "readiness": readiness,
        "compiles": compiled is not None,
    }


def _readiness(editor, reports: list[ConditionReport], errors: dict, outcomes: list[ExampleOutcome]):
    broken = [str(index + 1) for index, report in enumerate(reports) if not report.ok]
    if broken:
        which = "rule " + broken[0] if len(broken) == 1 else "rules " + ", ".join(broken)
        return False, f"Publishing is blocked: write or fix the condition of {which}."
    if "rules" in errors or "default_stage" in errors or any(path.startswith("rules") for path in errors):
        return False, "Publishing is blocked: " + "; ".join(
            f"{path}: {message}" for path, message in errors.items() if not path.startswith("examples")
        )
    blocking = [outcome for outcome in outcomes if outcome.status != "pass"]
    if blocking:
        named = "; ".join(f"'{outcome.name}' ({outcome.status}: {outcome.detail})" for outcome in blocking)
        return False, f"Publishing is blocked by {len(blocking)} example{'s' if len(blocking) > 1 else ''}: {named}."
    if not outcomes:
        return True, "No examples yet: add one per rule, so a change that moves customers by mistake is caught."
    return True, "The example passes." if len(outcomes) == 1 else f"All {len(outcomes)} examples pass."


_LABELS = {"rules": "rules", "default_stage": "default stage", "examples": "examples", "change_note": "change note"}


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str
    mine: str


def _shown(name: str, value) -> str:
    if name == "rules":
        return "; ".join(f"{index + 1}. {rule['stage']}: {rule['condition']}" for index, rule in enumerate(value or []))
    if name == "examples":
        return f"{len(value or [])} examples"
    return "" if value is None else str(value)


def content_changes(loaded_json: str, current: dict, mine: dict) -> list[Change] | None:
    """The fields another person's save changed since this page was loaded, with what this person typed;
    None when the page's copy of what it loaded cannot be read."""
    try:
        loaded = json.loads(loaded_json or "")
    except ValueError:
        return None
    if not isinstance(loaded, dict):
        return None
    changes = []
    for name, label in _LABELS.items():
        before, after = loaded.get(name), current.get(name)
        if name == "rules":
            before = [{key: rule.get(key) for key in ("stage", "condition", "note")} for rule in before or []]
        if before != after:
            changes.append(Change(label, _shown(name, before), _shown(name, after), _shown(name, mine.get(name))))
    return changes
