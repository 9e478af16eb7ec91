"""A campaign's suppression preview: what the decision API will answer for each audience member at the start.

The campaign fixes the interaction (its team, category and channel) and the time (`starts_at`), so the
decision rule (DESIGN.md 7) becomes one SQL CASE over the audience's stored facts rows, read as they stand
at `starts_at` (`preview_facts.facts_standing_at`): consent first when the category needs it (not
overridable), then the allow/suppress principles in scope in the engine's own ranking (`Ruleset.scoped`:
highest priority first, a suppression before an allowance at equal priority), each condition compiled to
SQL by the expression language's SQL back-end over the stored-fact columns (`membrane.stored_facts`); the
first that holds decides, none allows. The CASE gives each customer the code of what decides for them, so
the counts are ONE GROUP BY (decider, stage) and the CSV and the samples read the same column per customer.

Caps (step 3 of the rule) are not applied: a cap counts each customer's outbound contacts in its window
before the contact, and the campaign's own touches are not contacts yet, so the preview answers as the
decision API does for a customer with no such contacts; the answer says so ("caps_included": false).

The stage is the stored one (the last evaluation run's), its days_in_stage counted to `starts_at`: a
transition that time alone would make before the start is not foreseen. A customer with no stored stage
yet is counted under "unevaluated".
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db.models import Case, CharField, Count, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from cxcore.facts.days import DayCount
from cxcore.models import CustomerFacts
from cxcore.schemas import INSTANT_HORIZON
from journeys.arbitration import lost_to
from journeys.audiences import audience_q
from journeys.models import Campaign
from membrane.catalogue import fact_types_for
from membrane.decisions.engine import CompiledPrinciple, ruleset_get
from membrane.decisions.reasons import explain
from membrane.expressions import Checked, check, compile_sql
from membrane.models.principles import PrincipleVersion
from membrane.principles.impact_patterns import planned_for_wide_rows
from membrane.stored_facts import LOCAL_TIME, customer_timezones, local_time_columns, stored_fact_columns

from .preview_facts import facts_standing_at

CONSENT, NOTHING = -1, -2  # the decider codes besides a principle's index in the ranking
DECIDING = ("allow", "suppress")
SAMPLE = 5
UNEVALUATED = "unevaluated"
STAGE_FACTS = ("stage", "previous_stage", "days_in_stage")


@dataclass(frozen=True)
class Plan:
    """The campaign's interaction at its start and the principles that can decide it, ranked."""

    campaign: Campaign
    at: dt.datetime
    consent_required: bool
    ranked: tuple[CompiledPrinciple, ...]
    conditions: tuple[str, ...]  # each ranked principle's condition, for the SQL back-end

    def decided_by(self, code: int) -> dict | str | None:
        if code == CONSENT:
            return "consent"
        return None if code == NOTHING else self.ranked[code].ref()

    def verdict(self, code: int) -> str:
        if code == CONSENT:
            return "suppress"
        return "allow" if code == NOTHING else ("suppress" if self.ranked[code].effect == "suppress" else "allow")

    def reason(self, code: int, row: dict) -> str:
        """The decision's sentence (membrane.decisions.engine.decide words it the same way)."""
        c = self.campaign
        if code == CONSENT:
            channel, category = c.channel.key, c.category.key
            return f"Suppressed: the customer has not consented to {channel}, which {category} contacts need."
        if code == NOTHING:
            return "Allowed: no published principle restricts this contact."
        principle = self.ranked[code]
        verb = "Suppressed" if principle.effect == "suppress" else "Allowed"
        return f"{verb} by {principle.label}: {explain(principle.facts, row)}."

    @property
    def facts_read(self) -> tuple[str, ...]:
        """What the conditions read, and the stage facts, which a reason about the stage words together."""
        return tuple(dict.fromkeys([*STAGE_FACTS, *(name for p in self.ranked for name in p.facts)]))


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
    versions = PrincipleVersion.objects.filter(pk__in=[p.version_id for p in ranked])
    conditions = dict(versions.values_list("pk", "condition"))
    return Plan(
        campaign=campaign,
        at=campaign.starts_at,
        consent_required=campaign.category.requires_consent,
        ranked=ranked,
        conditions=tuple(conditions[p.version_id] for p in ranked),
    )


def plan_columns(plan: Plan) -> dict:
    """The stored-fact columns the plan's conditions read at its time, with its interaction as constants."""
    c = plan.campaign
    columns = stored_fact_columns(at=plan.at, direct=True)
    columns.update(
        team=Value(c.team.key, output_field=CharField()),
        category=Value(c.category.key, output_field=CharField()),
        channel=Value(c.channel.key, output_field=CharField()),
    )
    if any(name in LOCAL_TIME for name in plan.facts_read):
        columns.update(local_time_columns(at=plan.at, timezones=customer_timezones()))
    return columns


@functools.lru_cache(maxsize=1024)
def _checked(condition: str) -> Checked:
    # A published condition parsed once per process: the conflicts judge many campaigns at once.
    return check(condition, fact_types_for("principle"))


def decider_case(plan: Plan, columns: dict) -> Case:
    """The code of what decides for each customer: the rule's steps 1, 2 and 4 as one CASE (also the conflicts'
    suppressed audiences, journeys.suppression)."""
    principles = Case(
        *(
            When(compile_sql(_checked(condition), columns), then=Value(i))
            for i, condition in enumerate(plan.conditions)
        ),
        default=Value(NOTHING),
        output_field=IntegerField(),
    )
    if not plan.consent_required:
        return principles
    consented = Q(**{f"customer__consent__{plan.campaign.channel.key}": True})
    return Case(When(consented, then=principles), default=Value(CONSENT), output_field=IntegerField())


def _audience(plan: Plan) -> QuerySet:
    """The audience's stored rows with each one's decider and stage (inside facts_standing_at)."""
    columns = plan_columns(plan)
    return (
        CustomerFacts.objects.order_by()
        .filter(audience_q(expression=plan.campaign.audience, at=plan.at))
        .annotate(decider=decider_case(plan, columns), stage_at=Coalesce(columns["stage"], Value(UNEVALUATED)))
    )


def preview_compute(*, campaign: Campaign, progress: Callable[[float], None] = lambda done: None) -> dict:
    """The preview in the API's shape (DESIGN.md 9); `progress` hears how far it has come (0..1)."""
    plan = preview_plan(campaign=campaign)
    with facts_standing_at(plan.at) as computed:
        progress(0.3)
        audience = _audience(plan)
        with planned_for_wide_rows():
            groups = list(audience.values("decider", "stage_at").annotate(n=Count("pk")).order_by())
        progress(0.8)
        sample = _sample(plan, audience)
        lost = lost_to(campaign, at=plan.at)
    by_code: dict[int, int] = {}
    by_stage: dict[str, dict[str, int]] = {}
    for group in groups:
        code, verdict = group["decider"], plan.verdict(group["decider"])
        by_code[code] = by_code.get(code, 0) + group["n"]
        counts = by_stage.setdefault(group["stage_at"], {"allowed": 0, "suppressed": 0})
        counts["allowed" if verdict == "allow" else "suppressed"] += group["n"]
    suppressed = sum(n for code, n in by_code.items() if plan.verdict(code) == "suppress")
    total = sum(by_code.values())
    return {
        "as_of": plan.at.isoformat(),
        "audience": total,
        "allowed": total - suppressed,
        "suppressed": suppressed,
        "caps_included": False,
        "facts_computed_at_start": computed,
        "by_principle": [_principle_row(plan, code, n) for code, n in sorted(by_code.items(), key=lambda i: -i[1])],
        "by_stage": dict(sorted(by_stage.items())),
        "lost_to": lost,
        "sample": sample,
    }


def _principle_row(plan: Plan, code: int, n: int) -> dict:
    decided_by = plan.decided_by(code)
    if isinstance(decided_by, dict):
        title = plan.ranked[code].title
    else:
        title = "No consent for the channel" if code == CONSENT else "No principle restricts it"
    return {
        "principle": decided_by["principle"] if isinstance(decided_by, dict) else decided_by,
        "version": decided_by["version"] if isinstance(decided_by, dict) else None,
        "title": title,
        "verdict": plan.verdict(code),
        "customers": n,
    }


def _member_rows(plan: Plan, audience: QuerySet) -> QuerySet:
    """Per member: external id, decider, and the facts the reasons read (day counts as DaysSince gives them)."""
    columns = plan_columns(plan)
    read = {f"fact_{name}": columns[name] for name in plan.facts_read}
    return audience.annotate(**read).values_list("customer__external_id", "decider", *read)


def _member(plan: Plan, row: tuple) -> dict:
    types = fact_types_for("principle")
    facts = {}
    for name, value in zip(plan.facts_read, row[2:], strict=True):
        facts[name] = DayCount(value) if value is not None and types[name].days else value
    code = row[1]
    return {
        "customer": row[0],
        "verdict": plan.verdict(code),
        "decided_by": plan.decided_by(code),
        "reason": plan.reason(code, facts),
    }


def _sample(plan: Plan, audience: QuerySet) -> list[dict]:
    """A few of each verdict, the lowest customer ids first."""
    rows = _member_rows(plan, audience).order_by("customer_id")
    suppressing = [CONSENT, *(i for i, p in enumerate(plan.ranked) if p.effect == "suppress")]
    picked = [*rows.filter(decider__in=suppressing)[:SAMPLE], *rows.exclude(decider__in=suppressing)[:SAMPLE]]
    return [_member(plan, row) for row in picked]


def preview_members(*, campaign: Campaign, chunk: int = 5000) -> Iterator[dict]:
    """Every audience member's verdict, decided_by and reason, in customer order, read in chunks as they
    are written out (the CSV streams them)."""
    plan = preview_plan(campaign=campaign)
    with facts_standing_at(plan.at):
        rows = _member_rows(plan, _audience(plan)).order_by("customer_id")
        for row in rows.iterator(chunk_size=chunk):
            yield _member(plan, row)
