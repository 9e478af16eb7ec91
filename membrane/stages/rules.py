"""The published stage rules, checked and compiled once per version for both back-ends."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, CharField, Subquery, Value, When

from cxcore.facts import catalogue as facts_catalogue
from cxcore.facts.catalogue import ANY_SIGNAL, START
from cxcore.facts.days import flip_offsets
from membrane.catalogue import fact_types_for
from membrane.expressions import check, compile_python, compile_sql
from membrane.expressions.ast import And, Compare, Fact, ListLiteral, Literal, Node, Not, Or
from membrane.models import StageRuleSet
from membrane.models.stages import RuleSetStatus
from membrane.rules_cache import CompiledCache, PublishedStamp
from membrane.stages.facts import STAGE_DAY_FACT, is_day_count

# Day constants beyond this (ten years) are not worth a candidate instant.
MAX_DAY_CONSTANT = 3660
# The facts of the stage held before an evaluation; the day count among them starts with the stage.
STAGE_FACTS = frozenset({"stage", "previous_stage", STAGE_DAY_FACT})


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
    # Offsets (in days, exact to the microsecond: cxcore.facts.days.flip_offsets) at which a fact these
    # rules read can cross one of their constants with no new signal: after the signals of a kind, any
    # signal or the start of tenure (a clock's key, as in FactDef.clock_from, and its offsets), and after
    # the start of a stage.
    signal_clocks: tuple[tuple[str, tuple[float, ...]], ...]
    stage_day_offsets: tuple[float, ...]
    # Every fact some rule reads, in no particular order.
    facts_read: frozenset[str] = frozenset()

    @property
    def follows_up(self) -> bool:
        """Some rule reads the stage held before (stage, previous_stage, days_in_stage): a stage just
        entered may fail them at once, and is then first seen by them a day later (see instants.stage_settled)."""
        return not self.facts_read.isdisjoint(STAGE_FACTS)

    def stage_for(self, facts: Mapping[str, Any]) -> str:
        """First matching rule wins; `facts["stage"]` is the stage held before this evaluation."""
        for rule in self.rules:
            if rule.holds(facts):
                return rule.stage
        return self.default_stage

    def sql_case(self, columns: Mapping[str, Any]) -> Case:
        """The same choice as one SQL CASE over fact columns (`stage` = the stage held before)."""
        whens = [When(compile_sql(rule.checked, columns), then=Value(rule.stage)) for rule in self.rules]
        return Case(*whens, default=Value(self.default_stage), output_field=CharField())


def time_offsets(rules: list[CompiledRule]) -> tuple[tuple[tuple[str, tuple[float, ...]], ...], tuple[float, ...]]:
    """The offsets (in days) at which time alone can change what `rules` decide: (each clock's offsets
    after the signals it counts from, after the start of a stage).

    A windowed fact read changes when a signal it counts leaves its window, N days after it happened.
    A day count, the exact time since t, compared with a constant c changes truth at t + c days (>=, <),
    just after it (>, <=) or, by whole days, at t + c + 1 days (==, !=, in; cxcore.facts.days.flip_offsets):
    all are candidates, after the instants the fact counts from
    (FactDef.clock_from: `days_since_last_purchase` from purchases) and, for days_in_stage, after the
    start of the stage. Two day counts compared with each other can change order at any whole day
    after any signal: then every day up to MAX_DAY_CONSTANT is one too, beside the other comparisons' own
    (a `<= 0` flips a microsecond after its instant, which no whole day finds).
    """
    # 0 after the start: the customer's creation itself, from which one with no signal holds a stage.
    clocks: dict[str, set[float]] = {START: {0}}
    stage: set[float] = set()
    every_day: set[float] = set()
    for rule in rules:
        for node in _walk(rule.checked.node):
            if isinstance(node, Fact):
                fact = facts_catalogue.get(node.name)
                if fact.window_days:
                    for key in fact.clock_from or (ANY_SIGNAL,):
                        clocks.setdefault(key, set()).add(fact.window_days)
            if not isinstance(node, Compare):
                continue
            for fact_node, other in ((node.left, node.right), (node.right, node.left)):
                if not isinstance(fact_node, Fact):
                    continue
                fact = facts_catalogue.get(fact_node.name)
                # days_in_stage counts from the start of the stage, which membrane knows, not a fold.
                if not is_day_count(fact):
                    continue
                constants = _day_constants(other)
                if constants is None:
                    every_day = set(range(MAX_DAY_CONSTANT + 1))
                    continue
                if fact.name == STAGE_DAY_FACT:
                    stage.update(constants)
                    continue
                for key in fact.clock_from or (ANY_SIGNAL,):
                    clocks.setdefault(key, set()).update(constants)
    if every_day:
        for key in (ANY_SIGNAL, START):
            clocks.setdefault(key, set()).update(every_day)
        stage.update(every_day)
    return tuple((key, tuple(sorted(offsets))) for key, offsets in sorted(clocks.items())), tuple(sorted(stage))


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, Compare):
            stack += [node.left, node.right]
        elif isinstance(node, ListLiteral):
            stack += node.items
        elif isinstance(node, Not):
            stack.append(node.operand)
        elif isinstance(node, And | Or):
            stack += node.operands


def _day_constants(node: Node) -> set[float] | None:
    """The instants' offsets a day count compared with `node` can cross at; None when `node` is not constant."""
    items = node.items if isinstance(node, ListLiteral) else (node,)
    if not all(isinstance(item, Literal) for item in items):
        return None
    offsets: set[float] = set()
    for item in items:
        value = item.value
        if value is None or isinstance(value, bool | str):
            continue  # presence or a type the checker refuses: no instant of its own
        offsets.update(offset for offset in flip_offsets(value) if 0 <= offset <= MAX_DAY_CONSTANT)
    return offsets


def rules_compile(*, number: int, default_stage: str, rules: list[tuple[int, str, str]]) -> CompiledRuleSet:
    """Rules as (position, stage, condition), in order, compiled as a rule set, stored or not (the editor checks
    a draft's examples as it is typed); raises ExpressionError for a condition that does not check."""
    facts = fact_types_for("stage_rule")
    compiled = []
    for position, stage, condition in rules:
        checked = check(condition, facts)
        compiled.append(CompiledRule(position, stage, condition, compile_python(checked), checked))
    signal_clocks, stage_day_offsets = time_offsets(compiled)
    return CompiledRuleSet(
        number=number,
        default_stage=default_stage,
        rules=tuple(compiled),
        signal_clocks=signal_clocks,
        stage_day_offsets=stage_day_offsets,
        facts_read=frozenset(name for rule in compiled for name in rule.checked.facts_read),
    )


def _compile(ruleset: StageRuleSet) -> CompiledRuleSet:
    rules = ruleset.rules.order_by("position").values_list("position", "stage", "condition")
    return rules_compile(number=ruleset.number, default_stage=ruleset.default_stage, rules=list(rules))


# Every version compiled in this process, by its identity (id, number, published_at): a version once published
# never changes; one never published may (a draft, or one in review sent back to draft), and is compiled afresh.
_compiled: CompiledCache[CompiledRuleSet] = CompiledCache()


def ruleset_compile(ruleset: StageRuleSet) -> CompiledRuleSet:
    """A version once published never changes, so its compiled form is kept per version."""
    if ruleset.published_at is None:
        return _compile(ruleset)
    key = (ruleset.pk, ruleset.number, ruleset.published_at)
    return _compiled.get(key) or _compiled.put(key, _compile(ruleset))


# The published set's identity (id, number, published_at: the key of `_compiled`), as a caller that
# queries anyway reads it in the same round trip (published_stamp_annotations), so that
# published_ruleset needs no query of its own.
STAMP_FIELDS = ("id", "number", "published_at")
_PUBLISHED = PublishedStamp(
    lambda: StageRuleSet.objects.filter(status=RuleSetStatus.PUBLISHED).order_by(), STAMP_FIELDS
)


def published_stamp_annotations(prefix: str) -> dict[str, Subquery]:
    """`{prefix}{field}` for each of STAMP_FIELDS: the published set's identity as subqueries."""
    return _PUBLISHED.subqueries(prefix)


def published_ruleset(*, stamp: tuple | None = None) -> CompiledRuleSet:
    """The published stage rules, compiled once per version and process.

    `stamp`, the published set's (id, number, published_at) as the caller read it (see
    published_stamp_annotations), saves the query when that version is already compiled here;
    a set published since, in any process, has another stamp and is read from the database.
    """
    compiled = _compiled.get(stamp) if stamp is not None else None
    if compiled is not None:
        return compiled
    stamp = _PUBLISHED.read()
    if stamp is None:
        raise StageRuleSet.DoesNotExist("No stage rules are published.")
    return _compiled.get(stamp) or ruleset_compile(StageRuleSet.objects.get(pk=stamp[0]))
