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
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import product

from django.db import connection, transaction
from django.db.models import BooleanField, Case, CharField, Count, Max, Min, Q, Value, When
from django.utils import timezone

from cxcore.models import Category, Channel, Customer, CustomerFacts, Team
from membrane.catalogue import fact_types_for, facts_for
from membrane.decisions.engine import CompiledPrinciple, Ruleset, compile_version
from membrane.expressions import Checked, ExpressionError, Problem, check, compile_sql
from membrane.models.principles import PrincipleVersion, VersionStatus
from membrane.principles.conditions import ConditionError
from membrane.stored_facts import LOCAL_TIME, customer_timezones, local_time_columns, stored_fact_columns

INTERACTION = ("team", "category", "channel")
EXAMPLES = 5
DECIDING = ("allow", "suppress")


def _population():
    return CustomerFacts.objects.order_by()


class _LocalTime:
    """local_hour and weekday as columns, the customers' timezones read once and only if a condition needs them."""

    def __init__(self, at: dt.datetime):
        self.at = at
        self._columns: dict | None = None

    def columns(self) -> dict:
        if self._columns is None:
            self._columns = local_time_columns(at=self.at, timezones=customer_timezones())
        return self._columns


def _columns(checked: Checked, local: _LocalTime, interaction: Mapping[str, str | None]) -> dict:
    columns = stored_fact_columns(at=local.at)
    columns.update({name: Value(interaction.get(name), output_field=CharField()) for name in INTERACTION})
    if any(name in LOCAL_TIME for name in checked.facts_read):
        columns.update(local.columns())
    return columns


def _holds(checked: Checked, local: _LocalTime, interaction: Mapping[str, str | None]) -> Case:
    """The condition as a never-null boolean column."""
    q = compile_sql(checked, _columns(checked, local, interaction))
    return Case(When(q, then=Value(True)), default=Value(False), output_field=BooleanField())


@contextmanager
def _without_jit():
    """PostgreSQL's JIT spends longer compiling these wide CASE expressions than the scan takes (8 s against
    under 1 s over a million customers): the statements run with it off, in a transaction of their own, and
    with the memory to hash the joined rows and the patterns without spilling them to disk."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
                cursor.execute("SET LOCAL work_mem = '128MB'")
        yield


def condition_match_count(*, condition: str, context: str = "principle", at: dt.datetime | None = None) -> int:
    """How many customers `condition` (an expression of `context`) holds for at `at`; ConditionError if invalid."""
    if not isinstance(condition, str):
        raise ConditionError([Problem(1, 1, "must be a string: an expression")])
    try:
        checked = check(condition, facts_for(context))
    except ExpressionError as error:
        raise ConditionError(list(error.problems)) from None
    at = at or timezone.now()
    with _without_jit():
        return _population().filter(compile_sql(checked, _columns(checked, _LocalTime(at), {}))).count()


# --- the impact of a version --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    """A principle taking part in the comparison: compiled for the engine, checked for SQL."""

    compiled: CompiledPrinciple
    checked: Checked

    @property
    def key(self) -> int:
        return self.compiled.version_id

    def interaction_read(self) -> tuple[str, ...]:
        return tuple(name for name in INTERACTION if name in self.checked.facts_read)


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


class _Columns:
    """The boolean columns of the GROUP BY: one per (rule, values of the interaction facts it reads)."""

    def __init__(self, at: dt.datetime):
        self.local = _LocalTime(at)
        self.names: dict[tuple, str] = {}
        self.expressions: dict[str, Case] = {}

    def of(self, rule: _Rule, interaction: Mapping[str, str | None]) -> str:
        values = tuple((name, interaction.get(name)) for name in rule.interaction_read())
        key = (rule.key, values)
        name = self.names.get(key)
        if name is None:
            name = self.names[key] = f"c{len(self.names)}"
            self.expressions[name] = _holds(rule.checked, self.local, dict(values))
        return name


def _ranked(rules: tuple[_Rule, ...]) -> Ruleset:
    """The rules ranked and indexed by scope as the engine does (Ruleset.build); their predicates go unused."""
    return Ruleset.build([r.compiled for r in rules])


def _bitsets(rows: list[tuple], width: int) -> list[int]:
    """Per column, the patterns it holds for as the bits of one integer (bit i: pattern i)."""
    return [int("".join("1" if row[c] else "0" for row in reversed(rows)) or "0", 2) for c in range(width)]


def _suppressed(ranked: tuple[tuple[int, str], ...], bits: list[int], everyone: int) -> int:
    """The patterns suppressed by step 2 of the rule: per pattern, the first ranked allow/suppress that holds
    decides (the ranking puts a suppression first at equal priority); none holding allows."""
    undecided, suppressed = everyone, 0
    for column, effect in ranked:
        hit = bits[column] & undecided
        if effect == "suppress":
            suppressed |= hit
        undecided &= ~hit
    return suppressed


def _indices(bits: int) -> list[int]:
    text = bin(bits)[:1:-1]  # lowest bit first
    return [i for i, bit in enumerate(text) if bit == "1"]


def version_impact(*, version: PrincipleVersion, at: dt.datetime | None = None, retire: bool = False) -> dict:
    """This version against the published set over the current population, in the API's shape (DESIGN.md 9)."""
    at = at or timezone.now()
    sides = _sides(version, retire)
    before, after = _ranked(sides.before), _ranked(sides.after)
    by_key = {r.key: r for r in (*sides.before, *sides.after)}
    columns = _Columns(at)
    # Only interactions in scope of the principle's old or new version can change verdict.
    changing = [r.compiled for r in (sides.old, sides.new) if r is not None and r.compiled.effect in DECIDING]
    combos = [
        c
        for c in _combos()
        if any(p.scope.covers(team=c.team, category=c.category, channel=c.channel) for p in changing)
    ]
    plans = []  # per combo: before and after, the ranked (column, effect) of the allow/suppress in scope
    for combo in combos:
        interaction = {"team": combo.team, "category": combo.category, "channel": combo.channel}
        sides_ranked = []
        for ruleset in (before, after):
            scoped, _ = ruleset.scoped(team=combo.team, category=combo.category, channel=combo.channel)
            sides_ranked.append(tuple((columns.of(by_key[p.version_id], interaction), p.effect) for p in scoped))
        plans.append((combo, *sides_ranked))
    actions = [r for r in (sides.old, sides.new) if r is not None and r.compiled.effect == "prescribe"]
    action_columns = {r.key: columns.of(r, {}) for r in actions}
    needing_consent = sorted({combo.channel for combo, _, _ in plans if combo.consent_required})
    consent_columns = {channel: f"k{n}" for n, channel in enumerate(needing_consent)}
    annotations = dict(columns.expressions)
    annotations.update(
        {
            name: Case(
                When(Q(**{f"customer__consent__{channel}": True}), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
            for channel, name in consent_columns.items()
        }
    )
    group = list(annotations)
    # Where neither the principle's old nor its new condition holds, both sets decide alike: only the
    # customers for whom one of them holds are grouped (usually a small part of the population).
    moving = Q()
    for (key, _), name in columns.names.items():
        if key in {r.key for r in (sides.old, sides.new) if r is not None}:
            moving |= Q(**{name: True})
    rows = []
    if moving:
        with _without_jit():
            rows = list(
                _population()
                .annotate(**annotations)
                .filter(moving)
                .values(*group)
                .annotate(n=Count("pk"), first=Min("customer_id"), last=Max("customer_id"))
                .values_list(*group, "n", "first", "last")
                .order_by()
            )
    customers = _population().count()
    return _answer(at, customers, sides, plans, consent_columns, action_columns, group, rows)


def _answer(at, customers, sides, plans, consent_columns, action_columns, group, rows) -> dict:
    index = {name: i for i, name in enumerate(group)}
    n, first, last = len(group), len(group) + 1, len(group) + 2  # after the pattern: its count and two ids
    bits = _bitsets(rows, len(group))
    everyone = (1 << len(rows)) - 1
    # Per (category, channel), the patterns going each way for at least one team; consent first: a customer
    # without it is suppressed before and after.
    moved: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    worked: dict[tuple, tuple[int, int]] = {}
    for combo, ranked_before, ranked_after in plans:
        key = (ranked_before, ranked_after)
        if key not in worked:
            was = _suppressed(tuple((index[c], e) for c, e in ranked_before), bits, everyone)
            will = _suppressed(tuple((index[c], e) for c, e in ranked_after), bits, everyone)
            worked[key] = (will & ~was, was & ~will)
        consented = bits[index[consent_columns[combo.channel]]] if combo.consent_required else everyone
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
                "allow_to_suppress": sum(rows[i][n] for i in _indices(to_suppress)),
                "suppress_to_allow": sum(rows[i][n] for i in _indices(to_allow)),
            }
        )
        # The examples come from the largest patterns that change: two ids each (its first and last customer).
        picked = []
        for i in heapq.nlargest(EXAMPLES, _indices(to_suppress | to_allow), key=lambda i: rows[i][n]):
            picked.extend(dict.fromkeys((rows[i][first], rows[i][last])))
        wanted[(category, channel)] = picked[:EXAMPLES]
    external = dict(
        Customer.objects.filter(pk__in=[pk for ids in wanted.values() for pk in ids]).values_list("pk", "external_id")
    )
    for change in changes:
        ids = wanted[(change["category"], change["channel"])]
        change["examples"] = [external[pk] for pk in ids if pk in external]
    return {
        "as_of": at.isoformat(),
        "customers": customers,
        "caps_included": False,
        "changes": changes,
        "actions": _actions(sides, {key: index[name] for key, name in action_columns.items()}, rows, n),
        "campaigns": [],
    }


def _actions(sides: _Sides, action_columns: dict[int, int], rows: list[tuple], n: int) -> list[dict]:
    """Prescribed actions gained or lost: customers for whom the action is prescribed after and not before.

    `action_columns`: the index in each row of the column of each prescribing rule; `n`: of the row's count."""

    def prescribed(rule: _Rule | None, row: tuple) -> tuple[str, str] | None:
        if rule is None or rule.key not in action_columns or not row[action_columns[rule.key]]:
            return None
        return (rule.compiled.params["action"], rule.compiled.params["team"])

    totals: dict[tuple[str, str], dict] = {}
    for rule in (sides.old, sides.new):
        if rule is not None and rule.key in action_columns:
            key = (rule.compiled.params["action"], rule.compiled.params["team"])
            totals.setdefault(key, {"action": key[0], "team": key[1], "gained": 0, "lost": 0})
    for row in rows:
        was, will = prescribed(sides.old, row), prescribed(sides.new, row)
        if was == will:
            continue
        if will is not None:
            totals[will]["gained"] += row[n]
        if was is not None:
            totals[was]["lost"] += row[n]
    return [totals[key] for key in sorted(totals)]
