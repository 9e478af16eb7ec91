"""What a condition matches and what a version would change, set-based over the stored facts (DESIGN.md 7, 9).

Both read every customer's stored fact row (CustomerFacts) joined with their stored stage, as the last
evaluation left them, with the "days since" facts counted to `at` (default now): the population the
daily run keeps current. A customer never evaluated has no stored row and is not counted.

`condition_match_count` counts the customers a condition holds for, with no interaction (team,
category and channel are null; local_hour and weekday are the customer's own at `at`).

`version_impact` compares the published set with the set in which `version` replaces its principle's
published version (or joins it, when none is published; `retire=True`: the principle leaves it). Each
condition that can matter becomes one boolean column, with consent per channel, in ONE `GROUP BY` over
the population; each distinct pattern of those columns is then decided before and after by the
decision engine's own rule (`engine.evaluate` over rulesets built by `Ruleset.build`: consent first
and not overridable, then the allow/suppress of highest priority in scope whose condition holds, a
tie to suppress). Caps are not included: whether a cap suppresses depends on each customer's
contact history, not on their facts, so the verdicts compared are those before step 3 of the rule
(the answer says so: "caps_included": false). A customer counts once per category and channel when
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
import operator
from collections import defaultdict
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from itertools import product

from django.db import connection, transaction
from django.db.models import BooleanField, Case, CharField, Count, Max, Min, Q, Value, When
from django.utils import timezone

from cxcore.models import Category, Channel, Customer, CustomerFacts, Team
from membrane.catalogue import fact_types_for, facts_for
from membrane.decisions.engine import CompiledPrinciple, Ruleset, compile_version, evaluate
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


def _keyed(rules: tuple[_Rule, ...]) -> Ruleset:
    """The rules as a ruleset whose predicates read a row of {rule key: holds}: the engine ranks and scopes them."""
    return Ruleset.build([replace(r.compiled, predicate=operator.itemgetter(r.key)) for r in rules])


def _verdict(ruleset: Ruleset, row: Mapping, combo: _Combo) -> str:
    """Step 2 of the rule (step 1, consent, is the caller's): the first ranked allow/suppress in scope that holds."""
    deciding = evaluate(ruleset, row, team=combo.team, category=combo.category, channel=combo.channel).deciding
    return "suppress" if deciding is not None and deciding.effect == "suppress" else "allow"


def version_impact(*, version: PrincipleVersion, at: dt.datetime | None = None, retire: bool = False) -> dict:
    """This version against the published set over the current population, in the API's shape (DESIGN.md 9)."""
    at = at or timezone.now()
    sides = _sides(version, retire)
    before, after = _keyed(sides.before), _keyed(sides.after)
    by_key = {r.key: r for r in (*sides.before, *sides.after)}
    columns = _Columns(at)
    # Only interactions in scope of the principle's old or new version can change verdict.
    changing = [r.compiled for r in (sides.old, sides.new) if r is not None and r.compiled.effect in DECIDING]
    combos = [
        c
        for c in _combos()
        if any(p.scope.covers(team=c.team, category=c.category, channel=c.channel) for p in changing)
    ]
    plans = []  # per combo: the column each rule in scope reads there
    for combo in combos:
        interaction = {"team": combo.team, "category": combo.category, "channel": combo.channel}
        keys, signature = {}, []
        for ruleset in (before, after):
            scoped, _ = ruleset.scoped(team=combo.team, category=combo.category, channel=combo.channel)
            signature.append(tuple(p.version_id for p in scoped))
            for p in scoped:
                keys[p.version_id] = columns.of(by_key[p.version_id], interaction)
        plans.append((combo, keys, tuple(signature)))
    actions = [r for r in (sides.old, sides.new) if r is not None and r.compiled.effect == "prescribe"]
    action_columns = {r.key: columns.of(r, {}) for r in actions}
    consent_columns = {
        channel: f"k{n}" for n, channel in enumerate(sorted({c.channel for c, _, _ in plans if c.consent_required}))
    }
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
    return _answer(at, customers, sides, plans, before, after, consent_columns, action_columns, group, rows)


def _projection(cols: tuple[int, ...]):
    """A tuple of the pattern's values at `cols` (itemgetter, which answers a bare value for one column)."""
    if len(cols) > 1:
        return operator.itemgetter(*cols)
    if cols:
        return lambda pattern: (pattern[cols[0]],)
    return lambda pattern: ()


def _row_codes(plans, before, after, group: list[str], rows: list[tuple]) -> tuple[dict, dict]:
    """Each pattern's change under each combination of ranked principles in scope, by the index of the patterns
    that change ("allow_to_suppress" or "suppress_to_allow"); worked out by the engine once per distinct
    projection of the columns it reads."""
    index = {name: i for i, name in enumerate(group)}
    codes: dict[tuple, dict[int, str]] = {}
    memos: dict[tuple, dict] = defaultdict(dict)
    per_combo = {}
    for combo, keys, signature in plans:
        rule_keys = list(keys)
        cols = tuple(index[keys[k]] for k in rule_keys)
        key = (signature, cols)
        per_combo[combo] = key
        if key in codes:
            continue
        # The verdicts depend on the ranked principles in scope (the signature) and their columns alone.
        memo = memos[signature]
        found = {}
        project = _projection(cols)
        for i, pattern in enumerate(rows):
            projection = project(pattern)
            code = memo.get(projection, False)
            if code is False:
                values = dict(zip(rule_keys, projection, strict=True))
                was, will = _verdict(before, values, combo), _verdict(after, values, combo)
                code = memo[projection] = None if was == will else f"{was}_to_{will}"
            if code is not None:
                found[i] = code
        codes[key] = found
    return codes, per_combo


def _answer(at, customers, sides, plans, before, after, consent_columns, action_columns, group, rows) -> dict:
    codes, per_combo = _row_codes(plans, before, after, group, rows)
    index = {name: i for i, name in enumerate(group)}
    n, first, last = len(group), len(group) + 1, len(group) + 2  # after the pattern: its count and two ids
    # Per (category, channel): the distinct (codes, consent column) of its teams.
    pairs: dict[tuple[str, str], set] = defaultdict(set)
    for combo, _, _ in plans:
        consent = index[consent_columns[combo.channel]] if combo.consent_required else None
        pairs[(combo.category, combo.channel)].add((per_combo[combo], consent))
    changes = []
    wanted: dict[tuple[str, str], list[int]] = {}
    for pair in sorted(pairs):
        counts = {"allow_to_suppress": 0, "suppress_to_allow": 0}
        moved: dict[int, set[str]] = defaultdict(set)
        for key, consent in pairs[pair]:
            for i, code in codes[key].items():
                # Consent first: a customer without it is suppressed before and after.
                if consent is None or rows[i][consent]:
                    moved[i].add(code)
        for i, kinds in moved.items():
            for kind in kinds:
                counts[kind] += rows[i][n]
        changed = list(moved)
        if changed:
            changes.append({"category": pair[0], "channel": pair[1], **counts})
            # The examples come from the largest patterns that change: two ids each (its first and last customer).
            picked = []
            for i in heapq.nlargest(EXAMPLES, changed, key=lambda i: rows[i][n]):
                picked.extend(dict.fromkeys((rows[i][first], rows[i][last])))
            wanted[pair] = picked[:EXAMPLES]
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
