"""The principle editor's forms: what a person typed, read into the content the services take.

The forms read types and shapes (a number is a number, a scope key is one of the vocabulary's); what
a version may hold is the services' to say (schemas.version_fields_check), and their errors, named by
path ("params.days", "examples[1].facts", "scope"), are put back next to the fields they concern.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from django import forms

from cxcore.models import ActionKind, Category, Channel, Team
from membrane.models.principles import Effect, PrincipleVersion

from .schemas import version_fields_check
from .tests_runner import INTERACTION_KEYS

SCOPE_FIELDS = ("categories", "channels", "teams")


def _vocabulary(model) -> list[tuple[str, str]]:
    return [(item.key, item.name or item.key) for item in model.objects.all()]


class PrincipleForm(forms.Form):
    title = forms.CharField(max_length=200)
    slug = forms.SlugField(
        max_length=80, help_text="Its address: lowercase letters, digits and hyphens; it never changes."
    )
    rationale = forms.CharField(
        required=False, max_length=20_000, widget=forms.Textarea(attrs={"rows": 5}), help_text="Markdown."
    )
    categories = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    channels = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    teams = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    condition = forms.CharField(
        strip=False,
        error_messages={"required": "a condition is required (write true for always)"},
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "autocomplete": "off"}),
    )
    effect = forms.ChoiceField(choices=Effect.choices)
    priority = forms.IntegerField(initial=0, min_value=-(2**31), max_value=2**31 - 1)
    change_note = forms.CharField(required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 2}))
    # The draft's lock_version when the page was loaded, and the content as loaded: a save on a stale copy
    # is refused, and the refusal shows what was stored in between.
    lock_version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    loaded = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not creating:
            del self.fields["slug"]
        for name, model in zip(SCOPE_FIELDS, (Category, Channel, Team), strict=True):
            self.fields[name].choices = _vocabulary(model)
        # The fields the examples' outcomes depend on: the page reruns them when one changes.
        for name in (*SCOPE_FIELDS, "effect"):
            self.fields[name].widget.attrs["data-live"] = ""

    def clean_condition(self) -> str:
        # A browser sends a textarea's line breaks as CRLF but counts them as one character in the page:
        # store what the page shows, so that a problem's column means the same in both.
        return self.cleaned_data["condition"].replace("\r\n", "\n")


class _LiveParams(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for form_field in self.fields.values():
            form_field.widget.attrs["data-live"] = ""


class CapParams(_LiveParams):
    n = forms.IntegerField(label="At most (contacts)")
    days = forms.IntegerField(label="Within (days)")


class PrescribeParams(_LiveParams):
    action = forms.ChoiceField()
    team = forms.ChoiceField()
    due_hours = forms.IntegerField(label="Due within (hours)")
    repeat_days = forms.IntegerField(required=False, label="Repeat every (days)", help_text="Empty: once.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = _vocabulary(ActionKind)
        self.fields["team"].choices = _vocabulary(Team)


PARAMS_FORMS: dict[str, type[forms.Form]] = {"cap": CapParams, "prescribe": PrescribeParams}


def params_form(effect: str, *, data=None, initial: dict | None = None) -> forms.Form | None:
    """The small form of an effect's parameters (None for an effect without any), its fields "params-<name>"."""
    form_class = PARAMS_FORMS.get(effect)
    return form_class(data=data, initial=initial, prefix="params") if form_class else None


# What an example expects, as the table's one select offers it.
EXPECTATIONS = {
    "match": ("expect_match", True),
    "no_match": ("expect_match", False),
    "allow": ("expect_verdict", "allow"),
    "suppress": ("expect_verdict", "suppress"),
}
EXPECTATION_LABELS = {
    "match": "applies",
    "no_match": "does not apply",
    "allow": "verdict allow",
    "suppress": "verdict suppress",
}
_FACT = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*[=:]\s*("(?:[^"\\\n]|\\.)*"|[^,\n]*?)\s*(?:[,\n]|$)')
_KEY = re.compile(r"^[A-Za-z0-9_-]{1,24}$")


def facts_parse(text: str) -> dict:
    """`open_tickets = 2, stage = "crisis"` (commas or line breaks between) as {name: value}; a value is a
    number, true, false, null, a "string", or a bare word taken as a string. ValueError says what is wrong."""
    facts: dict = {}
    position, text = 0, text.strip()
    while position < len(text):
        found = _FACT.match(text, position)
        if not found or found.end() == position:
            raise ValueError(f"write facts as name = value, separated by commas; cannot read '{text[position:]}'")
        name, raw = found.group(1), found.group(2)
        if not raw:
            raise ValueError(f"{name} has no value (write null for none)")
        try:
            facts[name] = json.loads(raw)
        except ValueError:
            facts[name] = raw
        position = found.end()
    return facts


def facts_format(facts: dict) -> str:
    return ", ".join(f"{name} = {json.dumps(value)}" for name, value in facts.items())


@dataclass
class ExampleRow:
    """One row of the examples table as typed, with the example it reads as (None when it cannot be read)."""

    key: str
    name: str = ""
    facts: str = ""
    team: str = ""
    category: str = ""
    channel: str = ""
    expect: str = "match"
    contacts: str = ""
    errors: list[str] = field(default_factory=list)

    def example(self) -> dict | None:
        example: dict = {"name": self.name.strip()}
        try:
            example["facts"] = facts_parse(self.facts)
        except ValueError as error:
            self.errors.append(f"facts: {error}")
        interaction = {key: getattr(self, key) for key in INTERACTION_KEYS if getattr(self, key)}
        if interaction:
            example["interaction"] = interaction
        if self.expect not in EXPECTATIONS:
            self.errors.append("say what it expects")
        else:
            name, value = EXPECTATIONS[self.expect]
            example[name] = value
        if self.contacts.strip():
            try:
                example["contacts"] = int(self.contacts)
            except ValueError:
                self.errors.append("contacts: must be a whole number")
        return None if self.errors else example

    @classmethod
    def of(cls, key: str, example: dict) -> ExampleRow:
        if "expect_verdict" in example:
            expect = str(example["expect_verdict"])
        else:
            expect = "match" if example.get("expect_match", True) else "no_match"
        interaction = example.get("interaction") or {}
        return cls(
            key=key,
            name=example.get("name", ""),
            facts=facts_format(example.get("facts") or {}),
            expect=expect,
            contacts="" if example.get("contacts") is None else str(example["contacts"]),
            **{name: interaction.get(name) or "" for name in INTERACTION_KEYS},
        )


_ROW_FIELDS = ("key", "name", "facts", "team", "category", "channel", "expect", "contacts")


def example_rows_from(data) -> list[ExampleRow]:
    """The table's rows from a POST: every row submits each of its fields once, in order (ex_<field>)."""
    columns = {name: data.getlist(f"ex_{name}") for name in _ROW_FIELDS}
    rows = []
    for index, key in enumerate(columns["key"]):
        values = {name: (columns[name][index] if index < len(columns[name]) else "") for name in _ROW_FIELDS}
        values["key"] = key if _KEY.match(key) else f"row{index}"
        rows.append(ExampleRow(**values))
    return rows


def example_rows_of(examples: list) -> list[ExampleRow]:
    return [ExampleRow.of(f"r{index}", example) for index, example in enumerate(examples)]


class EditorInput:
    """Everything the editor's form posts: the principle form, the effect's parameters, the examples."""

    def __init__(self, data, *, creating: bool):
        self.form = PrincipleForm(data, creating=creating)
        self.effect = data.get("effect") or ""
        self.params = params_form(self.effect, data=data)
        self.rows = example_rows_from(data)
        self.examples = [row.example() for row in self.rows]
        self.scope_error = ""
        self.examples_error = ""

    def is_valid(self) -> bool:
        valid = self.form.is_valid()
        if self.params is not None:
            valid = self.params.is_valid() and valid
        return valid and not any(row.errors for row in self.rows)

    def content(self) -> dict:
        """The version's content as far as it can be read (for the live checks, and for the services once
        is_valid()), keyed as the services take it."""
        data = self.form.data
        content = {name: data.getlist(name) for name in SCOPE_FIELDS}
        content.update(
            {
                "condition": (data.get("condition") or "").replace("\r\n", "\n"),
                "effect": self.effect,
                "params": self._params(),
                "priority": _integer(data.get("priority")),
                "examples": [example for example in self.examples if example is not None],
                "change_note": data.get("change_note") or "",
            }
        )
        return content

    def _params(self) -> dict:
        if self.params is None:
            return {}
        values = {}
        for name, form_field in self.params.fields.items():
            raw = self.params.data.get(self.params.add_prefix(name), "")
            values[name] = _integer(raw) if isinstance(form_field, forms.IntegerField) else raw
        return values

    def content_check(self) -> None:
        """When the form itself is invalid, the services' rules still name what else is wrong, so that one
        attempt shows every problem; a field that already has an error keeps that one."""
        _, errors = version_fields_check(self.content())
        self.errors_add({path: message for path, message in errors.items() if not self._has_error(path)})

    def _has_error(self, path: str) -> bool:
        if path in self.form.errors:
            return True
        if path.startswith("params.") and self.params is not None:
            return path[7:] in self.params.errors
        return False

    def errors_add(self, errors: dict[str, str]) -> None:
        """The services' errors, each next to the field it names."""
        for path, message in errors.items():
            if path in self.form.fields:
                self.form.add_error(path, message)
            elif path == "scope":
                self.scope_error = message
            elif path.startswith("params.") and self.params is not None and path[7:] in self.params.fields:
                self.params.add_error(path[7:], message)
            elif path.startswith("examples["):
                index = int(path[9 : path.index("]")])
                examples_index = [i for i, example in enumerate(self.examples) if example is not None]
                row = self.rows[examples_index[index]] if index < len(examples_index) else None
                where = path[path.index("]") + 2 :]
                if row is not None:
                    row.errors.append(f"{where}: {message}" if where else message)
            elif path == "examples":
                self.examples_error = message
            else:
                self.form.add_error(None, message)


def _integer(raw):
    """A number as typed: an int when it reads as one, else the text (the schema then says what is wrong)."""
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        return raw


def content_of(version: PrincipleVersion) -> dict:
    """A stored version's content, keyed as the services take it."""
    return {
        **{name: list(getattr(version, name)) for name in SCOPE_FIELDS},
        "condition": version.condition,
        "effect": version.effect,
        "params": dict(version.params),
        "priority": version.priority,
        "examples": list(version.examples),
        "change_note": version.change_note,
    }
