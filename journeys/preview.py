"""A campaign's suppression preview: what the decision API will answer for each audience member at the start.

The campaign fixes the interaction (its team, category and channel) and the time (`starts_at`), so the
decision rule (DESIGN.md 7: consent, the allow/suppress principles, the caps) becomes one SQL CASE over the
audience's stored facts rows (journeys.verdicts), read as they stand at `starts_at`
(`preview_facts.facts_standing_at`); a cap counts the contacts already made, as a decision at `starts_at`
does. The CASE gives each customer the code of what decides for them, so the counts are ONE GROUP BY
(decider, stage) and the CSV and the samples read the same column per customer.

The stage is the stored one projected to `starts_at` as the decision API projects it (inside
facts_standing_at: membrane.stages.projection), so a transition that time alone makes before the start is
foreseen. A customer with no stored stage yet is counted under "unevaluated".

`lost_to` (journeys.arbitration.lost_to): of the customers this campaign would reach (allowed by the
principles and the caps), those a colliding campaign of higher rank keeps; a campaign keeps only customers
it will itself reach.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from django.db import connection
from django.db.models import Count, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from cxcore.facts.days import DayCount
from cxcore.models import CustomerFacts
from journeys.arbitration import lost_to
from journeys.audiences import campaign_audience_q
from journeys.lateral import Lateral
from journeys.models import Campaign
from membrane.catalogue import fact_types_for
from membrane.principles.impact_patterns import planned_for_wide_rows

from . import verdict_caps
from .preview_facts import facts_standing_at
from .verdicts import CONSENT, NOTHING, Plan, cap_holds, decided, decider_parts, plan_columns, preview_plan

SAMPLE = 5
UNEVALUATED = "unevaluated"


def _staged(plan: Plan, columns: dict) -> QuerySet:
    """The audience's stored rows with each one's stage (inside facts_standing_at; `columns`: plan_columns)."""
    return (
        CustomerFacts.objects.order_by()
        .filter(campaign_audience_q(plan.campaign, at=plan.at))
        .annotate(stage_at=Coalesce(columns["stage"], Value(UNEVALUATED)))
    )


def _audience(plan: Plan, columns: dict) -> QuerySet:
    """The audience's stored rows with each one's decider_parts and stage (inside facts_standing_at)."""
    step2, cap = decider_parts(plan, columns)
    return _staged(plan, columns).annotate(step2=step2, cap=cap)


def _groups(plan: Plan, columns: dict) -> list[dict]:
    """The audience counted by decider and stage, in ONE GROUP BY: decider_parts' two columns as one integer
    key (each column written once) and the stored stage column itself (null: unevaluated). Two keys the
    planner can hash without a wide row, so it spreads the scan and the joins over parallel workers as it does
    for the bare join; with three, it estimated a group per customer and ran them in one process."""
    step2, cap = decider_parts(plan, columns)
    stride = len(plan.ranked) + len(plan.caps) + 1  # cap + 1 and step2 - NOTHING are below it
    # Steps 1 and 2 in the parallel workers, though the caps' contacts are joined above them (journeys.lateral).
    key = (Lateral(step2) - NOTHING) * stride + Coalesce(cap, Value(-1)) + 1
    rows = (
        CustomerFacts.objects.order_by()
        .filter(campaign_audience_q(plan.campaign, at=plan.at))
        .annotate(key=key, stage_at=columns["stage"])
        .values("key", "stage_at")
        .annotate(n=Count("pk"))
        .order_by()
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # The planner counts a group per customer for the CASE key (the distinct values of the columns it
            # reads, multiplied), so it sees nothing for the workers to aggregate and prices gathering their
            # million narrow rows above the whole statement in one process: 4.7 s against 3.4 s in parallel
            # (bench campaigns' statement, load average 4). Priced at a tenth of the default, they are gathered.
            cursor.execute("SET LOCAL parallel_tuple_cost = 0.01")
    groups = []
    for row in rows:
        parts, cap_part = divmod(row["key"], stride)
        code = decided(plan, parts + NOTHING, None if cap_part == 0 else cap_part - 1)
        groups.append({"decider": code, "stage_at": row["stage_at"] or UNEVALUATED, "n": row["n"]})
    return groups


def preview_compute(*, campaign: Campaign, progress: Callable[[float], None] = lambda done: None) -> dict:
    """The preview in the API's shape (DESIGN.md 9); `progress` hears how far it has come (0..1)."""
    plan = preview_plan(campaign=campaign)
    # Once for the statements below (a condition reading local time scans the customers for their timezones).
    columns = plan_columns(plan)
    with facts_standing_at(plan.at) as computed:
        progress(0.3)
        with planned_for_wide_rows():
            groups = _groups(plan, columns)
        progress(0.8)
        sample = _sample(plan, columns, _audience(plan, columns))
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
        "facts_computed_at_start": computed,
        "by_principle": [_principle_row(plan, code, n) for code, n in sorted(by_code.items(), key=lambda i: -i[1])],
        "by_stage": dict(sorted(by_stage.items())),
        "lost_to": lost,
        "sample": sample,
    }


def _principle_row(plan: Plan, code: int, n: int) -> dict:
    decided_by = plan.decided_by(code)
    if isinstance(decided_by, dict):
        title = plan.principle(code).title
    else:
        title = "No consent for the channel" if code == CONSENT else "No principle restricts it"
    return {
        "principle": decided_by["principle"] if isinstance(decided_by, dict) else decided_by,
        "version": decided_by["version"] if isinstance(decided_by, dict) else None,
        "title": title,
        "verdict": plan.verdict(code),
        "customers": n,
    }


def _member_rows(plan: Plan, columns: dict, audience: QuerySet) -> QuerySet:
    """Per member: external id, decider_parts, the facts the reasons read (day counts as DaysSince gives them),
    and what a cap's reason reads."""
    read = {f"fact_{name}": columns[name] for name in plan.facts_read}
    read.update(verdict_caps.member_columns(cap_holds(plan, columns), plan.at))
    return audience.annotate(**read).values_list("customer__external_id", "step2", "cap", *read)


def _member(plan: Plan, row: tuple) -> dict:
    types = fact_types_for("principle")
    facts = {}
    read = len(plan.facts_read)
    for name, value in zip(plan.facts_read, row[3 : 3 + read], strict=True):
        facts[name] = DayCount(value) if value is not None and types[name].days else value
    caps = dict(zip(_cap_columns(plan), row[3 + read :], strict=True))
    code = decided(plan, row[1], row[2])
    return {
        "customer": row[0],
        "verdict": plan.verdict(code),
        "decided_by": plan.decided_by(code),
        "reason": plan.reason(code, facts, caps),
    }


def _cap_columns(plan: Plan) -> list[str]:
    # The names verdict_caps.member_columns gives, in its order.
    return [f"cap{j}_{what}" for j in range(len(plan.caps)) for what in ("count", "nth")]


def _sample(plan: Plan, columns: dict, audience: QuerySet) -> list[dict]:
    """A few of each verdict, the lowest customer ids first."""
    rows = _member_rows(plan, columns, audience).order_by("customer_id")
    step2_suppresses = [code for code in (CONSENT, *range(len(plan.ranked))) if plan.verdict(code) == "suppress"]
    suppressed = Q(step2__in=step2_suppresses) | Q(cap__isnull=False)
    picked = [*rows.filter(suppressed)[:SAMPLE], *rows.exclude(suppressed)[:SAMPLE]]
    return [_member(plan, row) for row in picked]


def preview_members(*, campaign: Campaign, chunk: int = 5000) -> Iterator[dict]:
    """Every audience member's verdict, decided_by and reason, in customer order, read in chunks as they
    are written out (the CSV streams them)."""
    plan = preview_plan(campaign=campaign)
    columns = plan_columns(plan)
    with facts_standing_at(plan.at):
        rows = _member_rows(plan, columns, _audience(plan, columns)).order_by("customer_id")
        for row in rows.iterator(chunk_size=chunk):
            yield _member(plan, row)
