"""The decision rule (DESIGN.md section 7), over the published principles compiled once and cached.

The rule itself (`decide`) is a pure function of the compiled ruleset, the fact row, the consent
and the contact history; `decision_make` in services.py feeds it from the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from django.db.models import Subquery

from membrane.models.principles import AuditAction, PrincipleAudit, PrincipleVersion, VersionStatus
from membrane.principles.conditions import condition_compile
from membrane.principles.scope import Scope
from membrane.rules_cache import CompiledCache, PublishedStamp

from .reasons import explain

DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
SCOPED_KEPT = 4096


@dataclass(frozen=True)
class CompiledPrinciple:
    principle_id: int
    version_id: int
    slug: str
    title: str
    version: int
    effect: str
    params: Mapping
    priority: int
    scope: Scope
    predicate: Callable[[Mapping], bool]
    facts: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"'{self.title}' v{self.version}"

    def ref(self) -> dict:
        return {"principle": self.slug, "version": self.version}


def _rank(principle: CompiledPrinciple) -> tuple:
    # Highest priority first; at equal priority a suppression comes before an allowance (it wins the tie).
    return (-principle.priority, 0 if principle.effect == "suppress" else 1, principle.slug)


@dataclass(frozen=True)
class Ruleset:
    """The published principles, compiled, indexed by category so a decision reads only its candidates."""

    principles: tuple[CompiledPrinciple, ...]
    stamp: object = None
    by_category: dict[str, tuple[CompiledPrinciple, ...]] = field(default_factory=dict)
    any_category: tuple[CompiledPrinciple, ...] = ()
    prescribes: tuple[CompiledPrinciple, ...] = ()

    @classmethod
    def build(cls, principles: Sequence[CompiledPrinciple], stamp: object = None) -> Ruleset:
        interaction = sorted((p for p in principles if p.effect != "prescribe"), key=_rank)
        categories = {c for p in interaction for c in p.scope.categories}
        return cls(
            principles=tuple(principles),
            stamp=stamp,
            by_category={c: tuple(p for p in interaction if p.scope.covers_category(c)) for c in categories},
            any_category=tuple(p for p in interaction if p.scope.every_category),
            prescribes=tuple(sorted((p for p in principles if p.effect == "prescribe"), key=_rank)),
        )

    # Per (team, category, channel): what `scoped` answers, worked out once; bounded, for callers that
    # pass keys outside the vocabularies.
    _scoped: dict = field(default_factory=dict, compare=False, repr=False)

    def candidates(self, category: str | None) -> tuple[CompiledPrinciple, ...]:
        return self.by_category.get(category, self.any_category)

    def scoped(
        self, *, team: str | None, category: str | None, channel: str | None
    ) -> tuple[tuple[CompiledPrinciple, ...], tuple[str, ...]]:
        """The ranked allow/suppress/cap principles in scope of an interaction, and the facts that
        they and the prescriptions read (in that order)."""
        key = (team, category, channel)
        scoped = self._scoped.get(key)
        if scoped is None:
            principles = tuple(
                p for p in self.candidates(category) if p.scope.covers(team=team, category=category, channel=channel)
            )
            read = dict.fromkeys(name for p in (*principles, *self.prescribes) for name in p.facts)
            scoped = (principles, tuple(read))
            if len(self._scoped) < SCOPED_KEPT:
                self._scoped[key] = scoped
        return scoped


@dataclass
class Evaluation:
    """Which published principles hold for one interaction; no database involved."""

    matched: list[CompiledPrinciple]
    deciding: CompiledPrinciple | None  # the allow/suppress of highest priority among those that matched
    caps: list[CompiledPrinciple]
    prescribed: list[CompiledPrinciple]
    facts_read: list[str]


def evaluate(
    ruleset: Ruleset, row: Mapping, *, team: str | None, category: str | None, channel: str | None
) -> Evaluation:
    """Steps 2 and the matching of step 3 of the rule, for the principles in scope of this interaction."""
    principles, read = ruleset.scoped(team=team, category=category, channel=channel)
    matched: list[CompiledPrinciple] = []
    deciding = None
    caps: list[CompiledPrinciple] = []
    for principle in principles:
        if not principle.predicate(row):
            continue
        matched.append(principle)
        if principle.effect == "cap":
            caps.append(principle)
        elif deciding is None:
            deciding = principle  # candidates are ranked: the first allow/suppress that holds decides
    prescribed = []
    for principle in ruleset.prescribes:
        if principle.predicate(row):
            prescribed.append(principle)
            matched.append(principle)
    return Evaluation(matched=matched, deciding=deciding, caps=caps, prescribed=prescribed, facts_read=list(read))


@dataclass
class Verdict:
    verdict: str
    decided_by: dict | str | None
    deciding: CompiledPrinciple | None
    matched: list[dict]
    facts: dict
    actions: list[dict]
    reason: str
    retry_after: dt.datetime | None = None


def cap_retry_after(cap: CompiledPrinciple, contact_times: Sequence[dt.datetime]) -> dt.datetime | None:
    """None when one more contact fits under the cap; else the first time it would.

    `contact_times` are the contacts in scope within the cap's window before `at`, oldest first.
    The window is half-open (at - D, at], so a contact stops counting exactly D days after it.
    """
    n, days = cap.params["n"], cap.params["days"]
    if len(contact_times) < n:
        return None
    return contact_times[len(contact_times) - n] + days * DAY


def cap_reason(cap: CompiledPrinciple, count: int, retry_after: dt.datetime) -> str:
    """The sentence of a suppression by a cap that `count` contacts in its window already reach (also the
    campaign preview's, journeys.verdicts)."""
    n, days = cap.params["n"], cap.params["days"]
    contacts_text = "1 contact" if count == 1 else f"{count} contacts"
    verb = "reaches" if count == 1 else "reach"
    return (
        f"Suppressed by {cap.label}: {contacts_text} in the last {days} days already {verb} the cap of {n}; "
        f"the next is possible from {retry_after:%Y-%m-%d %H:%M} UTC."
    )


def decide(
    ruleset: Ruleset,
    row: Mapping,
    *,
    team: str,
    category: str,
    channel: str,
    at: dt.datetime,
    consent_required: bool,
    consented: bool,
    contacts: Callable[[CompiledPrinciple], Sequence[dt.datetime]],
) -> Verdict:
    """The decision rule. `contacts(cap)` returns the outbound contacts in the cap's scope within its window."""
    evaluation = evaluate(ruleset, row, team=team, category=category, channel=channel)
    facts = {name: row.get(name) for name in evaluation.facts_read}
    matched = [{**p.ref(), "effect": p.effect} for p in evaluation.matched]
    actions = [
        {
            "kind": p.params["action"],
            "team": p.params["team"],
            "principle": p.slug,
            "due": at + p.params["due_hours"] * HOUR,
        }
        for p in evaluation.prescribed
    ]

    def answer(verdict: str, decided_by, deciding=None, reason: str = "", retry_after=None) -> Verdict:
        return Verdict(verdict, decided_by, deciding, matched, facts, actions, reason, retry_after)

    # 1. consent first; nothing overrides it.
    if consent_required and not consented:
        return answer(
            "suppress",
            "consent",
            reason=f"Suppressed: the customer has not consented to {channel}, which {category} contacts need.",
        )
    # 2. the allow/suppress of highest priority decides.
    deciding = evaluation.deciding
    if deciding is not None and deciding.effect == "suppress":
        return answer(
            "suppress", deciding.ref(), deciding, f"Suppressed by {deciding.label}: {explain(deciding.facts, row)}."
        )
    # 3. still allowed: a cap this contact would exceed suppresses; the cap binding longest names the retry time.
    blocked = []
    for cap in evaluation.caps:
        times = contacts(cap)
        retry_after = cap_retry_after(cap, times)
        if retry_after is not None:
            blocked.append((retry_after, cap, len(times)))
    if blocked:
        retry_after, cap, count = max(blocked, key=lambda item: item[0])
        return answer("suppress", cap.ref(), cap, cap_reason(cap, count, retry_after), retry_after)
    if deciding is not None:
        return answer(
            "allow", deciding.ref(), deciding, f"Allowed by {deciding.label}: {explain(deciding.facts, row)}."
        )
    # 4. nothing decided.
    return answer("allow", None, reason="Allowed: no published principle restricts this contact.")


# --- the compiled published set, cached per process -------------------------------------------------

# The stamp: the latest audit row of a publish, retire or rollback (each writes one), which changes whenever
# the published set does, in any process.
_PUBLISHED = PublishedStamp(
    lambda: PrincipleAudit.objects.filter(
        action__in=[AuditAction.PUBLISH, AuditAction.RETIRE, AuditAction.ROLLBACK]
    ).order_by("-id"),
    ("id",),
)
# The published set compiled, for its stamp: one at a time.
_compiled: CompiledCache[Ruleset] = CompiledCache(kept=1)


def ruleset_invalidate() -> None:
    _compiled.clear()


def compile_version(version) -> CompiledPrinciple:
    condition = condition_compile(version.condition)
    return CompiledPrinciple(
        principle_id=version.principle_id,
        version_id=version.pk,
        slug=version.principle.slug,
        title=version.principle.title,
        version=version.number,
        effect=version.effect,
        params=dict(version.params),
        priority=version.priority,
        scope=Scope.of(version),
        predicate=condition.predicate,
        facts=condition.facts,
    )


def ruleset_stamp_subquery() -> Subquery:
    """The stamp as a subquery, so a caller can read it in the same round trip as the customer."""
    return _PUBLISHED.subquery("id")


STAMP_UNREAD = object()


def ruleset_get(*, stamp: object = STAMP_UNREAD) -> Ruleset:
    """The published principles compiled; rebuilt only when the published set has changed.

    `stamp`, when the caller has already read it (see `ruleset_stamp_subquery`), saves the query.
    """
    if stamp is STAMP_UNREAD:
        stamp = _PUBLISHED.read()
    cached = _compiled.get(stamp)
    if cached is not None:
        return cached
    versions = PrincipleVersion.objects.filter(status=VersionStatus.PUBLISHED).select_related("principle")
    return _compiled.put(stamp, Ruleset.build([compile_version(v) for v in versions], stamp=stamp))
