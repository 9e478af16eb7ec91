"""The published stage rules, checked and compiled once per version for both back-ends."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, CharField, Subquery, Value, When

from membrane.models import StageRuleSet
from membrane.models.stages import RuleSetStatus

# Windows of the windowed facts (contacts_7d, complaints_30d, ..._90d): a signal leaves them exactly
# N days after it happened, so those instants are when such a fact can change without a signal.
WINDOW_DAYS = (7, 30, 90)
# Integer literals in rules beyond this are not day counts worth a candidate instant.
MAX_DAY_CONSTANT = 3660
_INTEGER = re.compile(r"(?<![\w.])\d+(?![\w.])")


@dataclass(frozen=True)
class CompiledRule:
    position: int
    stage: str
    condition: str
    holds: Callable[[Mapping[str, Any]], bool]
    checked: Any


@dataclass(frozen=True)
class CompiledRuleSet:
    number: int
    default_stage: str
    rules: tuple[CompiledRule, ...]
    # Offsets (whole days) after a signal, the start of tenure or the start of a stage at which a
    # day-count or windowed fact can cross a constant of these rules.
    day_offsets: tuple[int, ...]

    def stage_for(self, facts: Mapping[str, Any]) -> str:
        """First matching rule wins; `facts["stage"]` is the stage held before this evaluation."""
        for rule in self.rules:
            if rule.holds(facts):
                return rule.stage
        return self.default_stage

    def sql_case(self, columns: Mapping[str, Any]) -> Case:
        """The same choice as one SQL CASE over fact columns (`stage` = the stage held before)."""
        from membrane.expressions import compile_sql

        whens = [When(compile_sql(rule.checked, columns), then=Value(rule.stage)) for rule in self.rules]
        return Case(*whens, default=Value(self.default_stage), output_field=CharField())


def day_offsets(conditions: list[str]) -> tuple[int, ...]:
    """Every whole-day offset at which a fact compared in `conditions` can cross its threshold.

    A day count `d = floor((T - t) / 1 day)` compared with c changes truth at t + c days (>=, <)
    or t + (c + 1) days (>, <=): both are candidates. Every integer literal counts, whichever fact
    it is compared with: a few extra instants cost little and never change a result.
    """
    offsets: set[int] = set(WINDOW_DAYS)
    for condition in conditions:
        for match in _INTEGER.finditer(condition):
            value = int(match.group())
            if value <= MAX_DAY_CONSTANT:
                offsets.update((value, value + 1))
    return tuple(sorted(offsets))


def _compile(ruleset: StageRuleSet) -> CompiledRuleSet:
    from membrane.catalogue import facts_for
    from membrane.expressions import check, compile_python

    facts = facts_for("stage_rule")
    rules = []
    for rule in ruleset.rules.order_by("position"):
        checked = check(rule.condition, facts)
        rules.append(CompiledRule(rule.position, rule.stage, rule.condition, compile_python(checked), checked))
    return CompiledRuleSet(
        number=ruleset.number,
        default_stage=ruleset.default_stage,
        rules=tuple(rules),
        day_offsets=day_offsets([rule.condition for rule in rules]),
    )


_compiled: dict[tuple, CompiledRuleSet] = {}


def ruleset_compile(ruleset: StageRuleSet) -> CompiledRuleSet:
    """A published version never changes, so its compiled form is kept per version."""
    if ruleset.status == RuleSetStatus.DRAFT:
        return _compile(ruleset)
    key = (ruleset.pk, ruleset.number, ruleset.published_at)
    if key not in _compiled:
        _compiled[key] = _compile(ruleset)
    return _compiled[key]


# The published set's identity as annotations (id, number, published_at: the key of `_compiled`), so a
# caller that queries anyway reads it in the same round trip and published_ruleset needs no query of its own.
STAMP_FIELDS = ("id", "number", "published_at")


def published_stamp_annotations(prefix: str) -> dict[str, Subquery]:
    """`{prefix}{field}` for each of STAMP_FIELDS: the published set's identity as subqueries."""
    published = StageRuleSet.objects.filter(status=RuleSetStatus.PUBLISHED).order_by()
    return {f"{prefix}{name}": Subquery(published.values(name)[:1]) for name in STAMP_FIELDS}


def published_ruleset(*, stamp: tuple | None = None) -> CompiledRuleSet:
    """The published stage rules, compiled once per version and process.

    `stamp`, the published set's (id, number, published_at) as the caller read it (see
    published_stamp_annotations), saves the query when that version is already compiled here;
    a set published since, in any process, has another stamp and is read from the database.
    """
    if stamp is not None and stamp in _compiled:
        return _compiled[stamp]
    ruleset = StageRuleSet.objects.get(status=RuleSetStatus.PUBLISHED)
    return ruleset_compile(ruleset)
