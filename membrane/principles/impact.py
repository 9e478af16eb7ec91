"""What a condition matches and what a version would change, set-based over the stored facts (DESIGN.md 7, 9).

Both read every customer's stored fact row (CustomerFacts) joined with their stored stage, as the last
evaluation left them, with the "days since" facts counted to `at` (default now): the population the
daily run keeps current. A customer never evaluated has no stored row and is not counted.

`condition_match_count` counts the customers a condition holds for, with no interaction (team,
category and channel are null; local_hour and weekday are the customer's own at `at`).

`version_impact` compares the published set with the set in which `version` replaces its principle's
published version (or joins it, when none is published; `retire=True`: the principle leaves it). Each
condition that can matter becomes one boolean column, with consent per channel, in ONE `GROUP BY` over
the population; every distinct pattern of those columns is then decided before and after by the
decision rule, all patterns at once: each column is a bitset over the patterns, and walking the
principles in scope in the engine's own ranking (`Ruleset.build` and `scoped`: highest priority first,
a suppression before an allowance at equal priority), the first that holds decides; consent comes
first and is not overridable. A property test holds this to the engine deciding customer by customer.
Caps are not included: whether a cap suppresses depends on each customer's contact history, not on
their facts, so the verdicts compared are those before step 3 of the rule (the answer says so:
"caps_included": false). A customer counts once per category and channel when
their verdict changes for at least one team. Only the customers for whom the principle's old or new
condition holds are grouped: for the others both sets decide alike. Each pattern carries its count and
its first and last customer id, from which the examples come. "actions" counts, per action and team the
principle prescribes before or after, the customers who gain it and those who lose it.

The stored rows are a cache the evaluation runs keep: a customer whose signals arrived since the last
run is counted with the facts and stage that run left (the decision API brings them up to date).
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections import defaultdict
from dataclasses import dataclass
from itertools import product

from django.utils import timezone

from cxcore.models import Category, Channel, Customer, CustomerFacts, Team
from membrane.catalogue import fact_types_for, facts_for
from membrane.decisions.engine import CompiledPrinciple, Ruleset, compile_version
from membrane.expressions import Checked, ExpressionError, Problem, check, compile_sql
from membrane.models.principles import PrincipleVersion, VersionStatus
from membrane.principles.conditions import ConditionError

from .impact_patterns import Bits, Terms, condition_columns, indices, patterns_read, planned_for_wide_rows, suppressed

EXAMPLES = 5
DECIDING = ("allow", "suppress")


def _population():
    return CustomerFacts.objects.order_by()


def condition_match_count(*, condition: str, context: str = "principle", at: dt.datetime | None = None) -> int:
    """How many customers `condition` (an expression of `context`) holds for at `at`; ConditionError if invalid."""
    if not isinstance(condition, str):
        raise ConditionError([Problem(1, 1, "must be a string: an expression")])
    try:
        checked = check(condition, facts_for(context))
    except ExpressionError as error:
        raise ConditionError(list(error.problems)) from None
    at = at or timezone.now()
    with planned_for_wide_rows():
        return _population().filter(compile_sql(checked, condition_columns(checked, at, {}))).count()


# --- the impact of a version --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    """A principle taking part in the comparison: compiled for the engine, checked for SQL."""

    compiled: CompiledPrinciple
    checked: Checked

    @property
    def key(self) -> int:
        return self.compiled.version_id


def _rule(version: PrincipleVersion) -> _Rule:
    compiled = compile_version(version)
    return _Rule(compiled, check(version.condition, fact_types_for("principle")))


@dataclass(frozen=True)
class _Sides:
    before: tuple[_Rule, ...]  # the published allow/suppress principles
    after: tuple[_Rule, ...]  # the same with the version in its principle's place
    old: _Rule | None  # the principle's published version
    new: _Rule | None  # the version (None for a retire preview)


def _sides(version: PrincipleVersion, retire: bool) -> _Sides:
    published = [
        _rule(v)
        for v in PrincipleVersion.objects.filter(status=VersionStatus.PUBLISHED)
        .select_related("principle")
        .order_by("pk")
    ]
    old = next((r for r in published if r.compiled.principle_id == version.principle_id), None)
    if retire:
        new = None
    elif old is not None and old.compiled.version_id == version.pk:
        new = old
    else:
        new = _rule(version)
    others = [r for r in published if r.compiled.principle_id != version.principle_id]
    deciding = lambda rules: tuple(r for r in rules if r.compiled.effect in DECIDING)  # noqa: E731
    return _Sides(
        before=deciding([*others, *([old] if old else [])]),
        after=deciding([*others, *([new] if new else [])]),
        old=old,
        new=new,
    )


@dataclass(frozen=True)
class _Combo:
    team: str
    category: str
    channel: str
    consent_required: bool


def _combos() -> list[_Combo]:
    categories = dict(Category.objects.values_list("key", "requires_consent"))
    teams = list(Team.objects.values_list("key", flat=True))
    channels = list(Channel.objects.values_list("key", flat=True))
    return [
        _Combo(team, category, channel, categories[category])
        for category, channel, team in product(sorted(categories), sorted(channels), sorted(teams))
    ]


def _ranked(rules: tuple[_Rule, ...]) -> Ruleset:
    """The rules ranked and indexed by scope as the engine does (Ruleset.build); their predicates go unused."""
    return Ruleset.build([r.compiled for r in rules])


def version_impact(*, version: PrincipleVersion, at: dt.datetime | None = None, retire: bool = False) -> dict:
    """This version against the published set over the current population, in the API's shape (DESIGN.md 9)."""
    at = at or timezone.now()
    sides = _sides(version, retire)
    before, after = _ranked(sides.before), _ranked(sides.after)
    by_key = {r.key: r for r in (*sides.before, *sides.after)}
    terms = Terms(at)
    # Only interactions in scope of the principle's old or new version can change verdict.
    changing = [r.compiled for r in (sides.old, sides.new) if r is not None and r.compiled.effect in DECIDING]
    combos = [
        c
        for c in _combos()
        if any(p.scope.covers(team=c.team, category=c.category, channel=c.channel) for p in changing)
    ]
    plans = []  # per combo: before and after, the ranked (term, effect) of the allow/suppress in scope
    for combo in combos:
        interaction = {"team": combo.team, "category": combo.category, "channel": combo.channel}
        ranked = []
        for ruleset in (before, after):
            scoped, _ = ruleset.scoped(team=combo.team, category=combo.category, channel=combo.channel)
            rule_terms = (terms.of(p.version_id, by_key[p.version_id].checked, interaction) for p in scoped)
            ranked.append(tuple(zip(rule_terms, (p.effect for p in scoped), strict=True)))
        plans.append((combo, *ranked))
    prescribing = {
        r.key: terms.of(r.key, r.checked, {})
        for r in (sides.old, sides.new)
        if r is not None and r.compiled.effect == "prescribe"
    }
    # Where neither the principle's old nor its new condition holds, both sets decide alike: only the
    # customers for whom one of them holds are grouped (usually a small part of the population).
    moving = [term for term in terms.columns if term[0] in {r.key for r in (sides.old, sides.new) if r}]
    rows: list[tuple] = []
    bits = None
    if moving:
        consent = any(combo.consent_required for combo, _, _ in plans)
        group, rows = patterns_read(_population(), terms, where=terms.holding(moving), consent=consent)
        bits = Bits(terms, group, rows)
    changes = _changes(plans, bits, rows) if bits else []
    return {
        "as_of": at.isoformat(),
        "customers": _population().count(),
        "caps_included": False,
        "changes": changes,
        "actions": _actions(sides, prescribing, bits),
        "campaigns": [],
    }


def _changes(plans, bits: Bits, rows: list[tuple]) -> list[dict]:
    n, first, last = -3, -2, -1  # after the pattern: its count and two customer ids
    # Per (category, channel), the patterns going each way for at least one team; consent first: a customer
    # without it is suppressed before and after.
    moved: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    worked: dict[tuple, tuple[int, int]] = {}
    for combo, ranked_before, ranked_after in plans:
        key = (ranked_before, ranked_after)
        if key not in worked:
            was = suppressed(((bits.term[t], effect) for t, effect in ranked_before), bits.everyone)
            will = suppressed(((bits.term[t], effect) for t, effect in ranked_after), bits.everyone)
            worked[key] = (will & ~was, was & ~will)
        consented = bits.consented(combo.channel) if combo.consent_required else bits.everyone
        pair = moved[(combo.category, combo.channel)]
        pair[0] |= worked[key][0] & consented
        pair[1] |= worked[key][1] & consented
    changes = []
    wanted: dict[tuple[str, str], list[int]] = {}
    for (category, channel), (to_suppress, to_allow) in sorted(moved.items()):
        if not (to_suppress or to_allow):
            continue
        changes.append(
            {
                "category": category,
                "channel": channel,
                "allow_to_suppress": sum(rows[i][n] for i in indices(to_suppress)),
                "suppress_to_allow": sum(rows[i][n] for i in indices(to_allow)),
            }
        )
        # The examples come from the largest patterns that change: two ids each (its first and last customer);
        # among patterns of one size the lowest ids first, whatever order the hash returned them in.
        picked = []
        for i in heapq.nlargest(EXAMPLES, indices(to_suppress | to_allow), key=lambda i: (rows[i][n], -rows[i][first])):
            picked.extend(dict.fromkeys((rows[i][first], rows[i][last])))
        wanted[(category, channel)] = picked[:EXAMPLES]
    external = dict(
        Customer.objects.filter(pk__in=[pk for ids in wanted.values() for pk in ids]).values_list("pk", "external_id")
    )
    for change in changes:
        ids = wanted[(change["category"], change["channel"])]
        change["examples"] = [external[pk] for pk in ids if pk in external]
    return changes


def _actions(sides: _Sides, prescribing: dict[int, tuple], bits: Bits | None) -> list[dict]:
    """Prescribed actions gained or lost: per action and team the principle prescribes before or after, the
    customers for whom it is prescribed after and not before, and the other way round."""

    def holding(rule: _Rule | None, key: tuple[str, str]) -> int:
        if bits is None or rule is None or rule.key not in prescribing:
            return 0
        if (rule.compiled.params["action"], rule.compiled.params["team"]) != key:
            return 0
        return bits.term[prescribing[rule.key]]

    def count(found: int) -> int:
        return sum(bits.rows[i][-3] for i in indices(found)) if bits else 0

    rules = [r for r in (sides.old, sides.new) if r is not None and r.key in prescribing]
    answer = []
    for key in sorted({(r.compiled.params["action"], r.compiled.params["team"]) for r in rules}):
        was, will = holding(sides.old, key), holding(sides.new, key)
        answer.append({"action": key[0], "team": key[1], "gained": count(will & ~was), "lost": count(was & ~will)})
    return answer
