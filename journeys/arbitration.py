"""Arbitration (DESIGN.md section 8): who keeps a customer where campaigns collide.

Two campaigns collide on a customer when their windows overlap and both audiences hold the customer. The
campaigns are ranked: higher priority first, then the earlier start, then the lower id. Walking a customer's
campaigns in that order, a campaign keeps the customer unless a campaign already kept collides with it;
then it loses them to the first such (the highest ranked). So no customer is ever kept by two colliding
campaigns, and a campaign that lost a customer does not take them from a third one it collides with.

A campaign keeps only customers it will reach: those its audience holds and the membrane allows it to contact
(consent, principles and caps, as its preview decides: journeys.suppression, at the time its audience is
read). A customer the principles or a cap hold back from a campaign is not taken from a lower-ranked one in
its window: a survey to customers in crisis that the principles stop does not cost a service update its
reach. So a preview's `lost_to` counts the customers the campaign would otherwise reach that a higher-ranked
colliding campaign will actually contact. A campaign starting beyond the decision API's horizon (a year),
for which nothing answers, is taken to reach its whole audience.

It runs set-based: the customers are grouped by the pattern of audiences that hold them and of the distinct
verdicts that suppress them (journeys.memberships), and each distinct pattern is arbitrated once.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import BooleanField, Case, Q, Value, When
from django.utils import timezone

from cxcore.models import CustomerFacts

from .audiences import campaign_audience_q
from .memberships import audience_at, membership_patterns, memberships_of
from .models import Campaign, CampaignStatus
from .suppression import suppressed_q, suppression_plan, verdict_key


def rank(campaign: Campaign) -> tuple:
    """The order in which campaigns claim a customer: priority, then the earlier start, then the lower id."""
    return (-campaign.priority, campaign.starts_at, campaign.pk)


def windows_overlap(a: Campaign, b: Campaign) -> bool:
    # Half-open windows: one ending as the other starts does not overlap it.
    return a.starts_at < b.ends_at and b.starts_at < a.ends_at


def collide(a: Campaign, b: Campaign) -> bool:
    return a.pk != b.pk and windows_overlap(a, b)


def arbitrate(campaigns: Iterable[Campaign]) -> dict[int, int | None]:
    """For one customer that `campaigns` would reach: campaign id -> None where it keeps them, else the id of
    the campaign it loses them to."""
    kept: list[Campaign] = []
    result: dict[int, int | None] = {}
    for campaign in sorted(campaigns, key=rank):
        winner = next((k for k in kept if collide(k, campaign)), None)
        if winner is None:
            kept.append(campaign)
        result[campaign.pk] = None if winner is None else winner.pk
    return result


def scheduled_campaigns() -> list[Campaign]:
    return list(Campaign.objects.filter(status=CampaignStatus.SCHEDULED).select_related("team", "channel", "category"))


def colliding_group(campaign: Campaign, others: Sequence[Campaign]) -> list[Campaign]:
    """`campaign` and every campaign of `others` linked to it by a chain of overlapping windows: the ones whose
    arbitration can change what `campaign` keeps (a third campaign matters through the one between)."""
    group = {campaign.pk: campaign}
    frontier = [campaign]
    while frontier:
        current = frontier.pop()
        for other in others:
            if other.pk not in group and windows_overlap(current, other):
                group[other.pk] = other
                frontier.append(other)
    return list(group.values())


def _contenders(campaign: Campaign) -> list[Campaign]:
    # The campaign is arbitrated as if scheduled (a draft's preview asks what it would lose).
    others = [c for c in scheduled_campaigns() if c.pk != campaign.pk]
    return colliding_group(campaign, others)


@dataclass(frozen=True)
class Reach:
    """Which campaigns the membrane lets reach a customer: per distinct verdict (suppression.verdict_key) a
    column that holds where it suppresses, and each campaign's column (none: nothing answers for it)."""

    suppressed: dict[str, Q]
    column_of: dict[int, str]

    @classmethod
    def of(cls, campaigns: Sequence[Campaign], at: dt.datetime | None) -> Reach:
        now = timezone.now()
        suppressed: dict[str, Q] = {}
        members: dict[str, list[Q]] = defaultdict(list)
        column_of: dict[int, str] = {}
        names: dict[tuple, str] = {}
        for c in campaigns:
            # Judged at the time its audience is read, as the conflicts judge it.
            plan = suppression_plan(campaign=c, at=audience_at(c, at, now))
            if plan is None:
                continue
            key = verdict_key(plan)
            if key not in names:
                names[key] = f"s{len(names)}"
                suppressed[names[key]] = suppressed_q(plan)
            members[names[key]].append(campaign_audience_q(c, at=audience_at(c, at, now)))
            column_of[c.pk] = names[key]
        # A column is read only for the members of the campaigns sharing it: their audiences tested first, its
        # CASE is evaluated for them alone, and it splits no pattern of the others.
        return cls({name: reduce(or_, members[name]) & q for name, q in suppressed.items()}, column_of)

    def reaching(self, targeted: Collection[int], held: Collection[str]) -> list[int]:
        """Of the campaigns targeting a customer, those not suppressed for them (`held`: the columns that hold)."""
        return [pk for pk in targeted if self.column_of.get(pk) not in held]


def lost_to(campaign: Campaign, at: dt.datetime | None = None) -> list[dict]:
    """The customers `campaign` would reach that a colliding campaign keeps (and reaches), per that campaign,
    most first: `[{"campaign": id, "customers": n}]` (the preview's `lost_to`)."""
    contenders = _contenders(campaign)
    if len(contenders) == 1:
        return []
    by_id = {c.pk: c for c in contenders}
    reach = Reach.of(contenders, at)
    lost: Counter[int] = Counter()
    for pattern in membership_patterns(campaigns=contenders, at=at, flags=reach.suppressed):
        reaching = reach.reaching(pattern.targeted, pattern.flags)
        if campaign.pk not in reaching:
            continue
        winner = arbitrate(by_id[pk] for pk in reaching)[campaign.pk]
        if winner is not None:
            lost[winner] += pattern.customers
    return [{"campaign": pk, "customers": n} for pk, n in sorted(lost.items(), key=lambda item: (-item[1], item[0]))]


def arbitration_summary(*, campaigns: Sequence[Campaign], at: dt.datetime | None = None) -> dict[int, dict]:
    """Per campaign: its audience, the customers the membrane holds back from it, those it keeps and those it
    loses, per winner; one pass for all."""
    by_id = {c.pk: c for c in campaigns}
    summary = {pk: {"audience": 0, "suppressed": 0, "kept": 0, "lost_to": Counter()} for pk in by_id}
    reach = Reach.of(campaigns, at)
    for pattern in membership_patterns(campaigns=campaigns, at=at, flags=reach.suppressed):
        reaching = reach.reaching(pattern.targeted, pattern.flags)
        for pk in pattern.targeted:
            summary[pk]["audience"] += pattern.customers
            if pk not in reaching:
                summary[pk]["suppressed"] += pattern.customers
        for pk, winner in arbitrate(by_id[pk] for pk in reaching).items():
            if winner is None:
                summary[pk]["kept"] += pattern.customers
            else:
                summary[pk]["lost_to"][winner] += pattern.customers
    return summary


def customer_assignments(
    *, campaigns: Sequence[Campaign], customer_ids: Iterable[int] | None = None, at: dt.datetime | None = None
) -> dict[int, dict[int, int | None]]:
    """customer id -> {campaign id -> None (keeps them) or the winner's id} over the campaigns that reach them,
    for the customers of any audience (or of `customer_ids`): arbitration customer by customer."""
    by_id = {c.pk: c for c in campaigns}
    memberships = memberships_of(campaigns=campaigns, customer_ids=customer_ids, at=at)
    reach = Reach.of(campaigns, at)
    flags = {
        name: Case(When(q, then=Value(True)), default=Value(False), output_field=BooleanField())
        for name, q in reach.suppressed.items()
    }
    rows = CustomerFacts.objects.order_by().filter(customer_id__in=list(memberships)).annotate(**flags)
    held = {
        row[0]: {name for name, on in zip(flags, row[1:], strict=True) if on}
        for row in rows.values_list("customer_id", *flags)
    }
    return {
        customer: arbitrate(by_id[pk] for pk in reach.reaching(targeted, held.get(customer, ())))
        for customer, targeted in memberships.items()
    }
