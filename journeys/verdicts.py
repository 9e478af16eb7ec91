"""What the decision API will answer for a campaign's contact, as one SQL CASE over the stored facts rows.

The campaign fixes the interaction (its team, category and channel) and the time, so the decision rule
(DESIGN.md 7) becomes one CASE giving each customer the code of what decides for them: consent first when
the category needs it (not overridable), then the allow/suppress principles in scope in the engine's own
ranking (`Ruleset.scoped`: highest priority first, a suppression before an allowance at equal priority),
each condition compiled to SQL by the expression language's SQL back-end over the stored-fact columns
(`membrane.stored_facts`), the first that holds deciding; where that allows (or nothing holds), the caps in
scope whose condition holds and whose counted contacts already reach their n suppress (journeys.verdict_caps),
the one binding longest deciding. The preview (journeys.preview) reads it in two columns (`decider_parts`), the
conflicts' suppressed audiences and arbitration's reach (journeys.suppression) as one predicate
(`suppresses`); the caps' contacts are counted once per statement, in a join (journeys.verdict_caps).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db.models import BooleanField, Case, CharField, Expression, IntegerField, Q, Value, When
from django.db.models.lookups import Exact, In
from django.utils import timezone

from cxcore.schemas import INSTANT_HORIZON
from journeys.models import Campaign
from membrane.catalogue import fact_types_for
from membrane.decisions.engine import DAY, CompiledPrinciple, cap_reason, ruleset_get
from membrane.decisions.reasons import explain
from membrane.expressions import Checked, check, compile_sql
from membrane.models.principles import PrincipleVersion
from membrane.stored_facts import LOCAL_TIME, customer_timezones, local_time_columns, stored_fact_columns

from . import verdict_caps
from .lateral import Lateral

CONSENT, NOTHING = -1, -2  # the decider codes besides a principle's (a ranked one's index, then the caps')
DECIDING = ("allow", "suppress")
STAGE_FACTS = ("stage", "previous_stage", "days_in_stage")


@dataclass(frozen=True)
class Plan:
    """The campaign's interaction at a time, and the principles that can decide it, ranked."""

    campaign: Campaign
    at: dt.datetime
    consent_required: bool
    ranked: tuple[CompiledPrinciple, ...]  # the allow/suppress principles in scope; code = index
    conditions: tuple[str, ...]  # each ranked principle's condition, for the SQL back-end
    caps: tuple[CompiledPrinciple, ...] = ()  # the caps in scope, in the engine's order; code = len(ranked) + index
    cap_conditions: tuple[str, ...] = ()

    def principle(self, code: int) -> CompiledPrinciple:
        return self.ranked[code] if code < len(self.ranked) else self.caps[code - len(self.ranked)]

    def decided_by(self, code: int) -> dict | str | None:
        if code == CONSENT:
            return "consent"
        return None if code == NOTHING else self.principle(code).ref()

    def verdict(self, code: int) -> str:
        if code == NOTHING:
            return "allow"
        if code == CONSENT:
            return "suppress"
        return "allow" if self.principle(code).effect == "allow" else "suppress"

    @property
    def suppressing(self) -> list[int]:
        """The codes whose verdict is suppress."""
        codes = range(len(self.ranked) + len(self.caps))
        return [CONSENT, *(code for code in codes if self.verdict(code) == "suppress")]

    def reason(self, code: int, row: dict, caps: dict | None = None) -> str:
        """The decision's sentence (membrane.decisions.engine.decide words it the same way); `caps` the member's
        verdict_caps.member_columns for a code of a cap."""
        c = self.campaign
        if code == CONSENT:
            channel, category = c.channel.key, c.category.key
            return f"Suppressed: the customer has not consented to {channel}, which {category} contacts need."
        if code == NOTHING:
            return "Allowed: no published principle restricts this contact."
        principle = self.principle(code)
        if principle.effect == "cap":
            j = code - len(self.ranked)
            retry = caps[f"cap{j}_nth"] + principle.params["days"] * DAY
            return cap_reason(principle, caps[f"cap{j}_count"], retry)
        verb = "Suppressed" if principle.effect == "suppress" else "Allowed"
        return f"{verb} by {principle.label}: {explain(principle.facts, row)}."

    @property
    def facts_read(self) -> tuple[str, ...]:
        """What the conditions read, and the stage facts, which a reason about the stage words together."""
        names = (name for p in (*self.ranked, *self.caps) for name in p.facts)
        return tuple(dict.fromkeys([*STAGE_FACTS, *names]))


class PreviewRefused(Exception):
    """A preview the decision API could not answer for (the message says why)."""


def preview_check(*, campaign: Campaign) -> None:
    """PreviewRefused when the campaign starts further ahead than the decision API answers for."""
    latest = timezone.now() + INSTANT_HORIZON
    if campaign.starts_at > latest:
        raise PreviewRefused(
            f"The campaign starts more than a year ahead: the decision API answers for times up to "
            f"{latest:%Y-%m-%d}, and so does its preview."
        )


def preview_plan(*, campaign: Campaign) -> Plan:
    preview_check(campaign=campaign)
    ruleset = ruleset_get()
    scoped, _ = ruleset.scoped(team=campaign.team.key, category=campaign.category.key, channel=campaign.channel.key)
    ranked = tuple(p for p in scoped if p.effect in DECIDING)
    caps = tuple(p for p in scoped if p.effect == "cap")
    versions = PrincipleVersion.objects.filter(pk__in=[p.version_id for p in (*ranked, *caps)])
    conditions = dict(versions.values_list("pk", "condition"))
    return Plan(
        campaign=campaign,
        at=campaign.starts_at,
        consent_required=campaign.category.requires_consent,
        ranked=ranked,
        conditions=tuple(conditions[p.version_id] for p in ranked),
        caps=caps,
        cap_conditions=tuple(conditions[p.version_id] for p in caps),
    )


def plan_columns(plan: Plan, timezones: Callable[[], Sequence[str]] = customer_timezones) -> dict:
    """The stored-fact columns the plan's conditions read at its time, with its interaction as constants;
    `timezones` gives the customers' timezones where a condition reads local time (a scan of the customers:
    a pass over many plans reads them once)."""
    c = plan.campaign
    columns = stored_fact_columns(at=plan.at, direct=True)
    columns.update(
        team=Value(c.team.key, output_field=CharField()),
        category=Value(c.category.key, output_field=CharField()),
        channel=Value(c.channel.key, output_field=CharField()),
    )
    if any(name in LOCAL_TIME for name in plan.facts_read):
        columns.update(local_time_columns(at=plan.at, timezones=timezones()))
    return columns


@functools.lru_cache(maxsize=1024)
def _checked(condition: str) -> Checked:
    # A published condition parsed once per process: the conflicts judge many campaigns at once.
    return check(condition, fact_types_for("principle"))


def _holds(condition: str, columns: dict, shared: bool = False) -> Q:
    """Where `condition` holds over `columns`. `shared`: a boolean computed once per row (journeys.lateral, on
    PostgreSQL), read by every CASE of the statement that asks it, as the conflicts' CASEs of many campaigns
    ask the same principles (bench conflicts: 167 conditions written, 33 distinct); the same condition over the
    same columns joins once. Where it holds as where the condition is true: a null is false in both."""
    q = compile_sql(_checked(condition), columns)
    if not shared:
        return q
    return Q(Lateral(Case(When(q, then=Value(True)), default=Value(False), output_field=BooleanField())))


def cap_holds(plan: Plan, columns: dict, shared: bool = False) -> list[tuple[CompiledPrinciple, Q]]:
    """Each cap in scope with its condition over `columns` (`shared`: as _holds)."""
    return [(cap, _holds(c, columns, shared)) for cap, c in zip(plan.caps, plan.cap_conditions, strict=True)]


def _cap_columns(plan: Plan, columns: dict, shared: bool = False) -> list[verdict_caps.CapColumn]:
    return [
        verdict_caps.CapColumn.of(len(plan.ranked) + j, cap, holds, plan.at)
        for j, (cap, holds) in enumerate(cap_holds(plan, columns, shared))
    ]


def consented(plan: Plan) -> Q:
    """Where the customer has consented to the plan's channel (step 1, where its category needs consent)."""
    return Q(**{f"customer__consent__{plan.campaign.channel.key}": True})


def _with_consent(plan: Plan, principles: Expression) -> Expression:
    if not plan.consent_required:
        return principles
    return Case(When(consented(plan), then=principles), default=Value(CONSENT), output_field=IntegerField())


def decider_parts(plan: Plan, columns: dict) -> tuple[Expression, Expression]:
    """The code of what decides for each customer in two columns, each written once: steps 1 and 2 (consent,
    the principles), and the cap that holds the contact back whatever step 2 says (null: none);
    `decided(step2, cap)` combines them. A CASE asking the caps under each allowing branch of step 2 would
    repeat the caps' columns once per branch."""
    cap = verdict_caps.capped(_cap_columns(plan, columns), Value(None, output_field=IntegerField()))
    return _step2(plan, columns), cap


def _step2(
    plan: Plan, columns: dict, upto: int | None = None, consent: bool = True, shared: bool = False
) -> Expression:
    """Steps 1 and 2 as one CASE; `upto`: only the first `upto` ranked principles asked; `consent`: step 1 too;
    `shared`: as _holds."""
    conditions = plan.conditions[:upto]
    step2 = Case(
        *(When(_holds(c, columns, shared), then=Value(i)) for i, c in enumerate(conditions)),
        default=Value(NOTHING),
        output_field=IntegerField(),
    )
    return _with_consent(plan, step2) if consent else step2


def suppresses(plan: Plan, columns: dict, consent: bool = True, shared: bool = False) -> Q:
    """Where the rule suppresses, whatever decides: steps 1-2 say so, or a cap holds the contact back (where
    they allow; where they suppress it is suppressed either way). One CASE and the caps' conditions, for the
    conflicts and arbitration, which ask only whether. `consent=False`: as if every customer had consented
    (step 1 left out), for a caller that reads it apart (`consented`); `shared`: as _holds."""
    codes = [*([CONSENT] if consent else []), *(i for i, p in enumerate(plan.ranked) if p.effect == "suppress")]
    binds = verdict_caps.any_binds(_cap_columns(plan, columns, shared))
    if not codes:
        return binds or Q(Exact(Value(1), Value(0)))
    # The allowances ranked below the last suppression decide nothing here: where one holds, as where none
    # does, only the caps can suppress. Left out, their conditions are not evaluated.
    step2 = Q(In(_step2(plan, columns, upto=codes[-1] + 1, consent=consent, shared=shared), codes))
    return step2 if binds is None else step2 | binds


def decided(plan: Plan, step2: int, cap: int | None) -> int:
    """The decider code of decider_parts' two columns: a cap decides where step 2 allows."""
    return cap if cap is not None and step2 != CONSENT and plan.verdict(step2) == "allow" else step2
