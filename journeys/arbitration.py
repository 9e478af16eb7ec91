"""Arbitration (DESIGN.md section 8): who keeps a customer where campaigns collide.

Two campaigns collide on a customer when their windows overlap and both audiences hold the customer. The
campaigns are ranked: higher priority first, then the earlier start, then the lower id. Walking a customer's
campaigns in that order, a campaign keeps the customer unless a campaign already kept collides with it;
then it loses them to the first such (the highest ranked). So no customer is ever kept by two colliding
campaigns, and a campaign that lost a customer does not take them from a third one it collides with.

Arbitration reads only the audiences, not the principles: whether the membrane then allows the contact is
the preview's question (a campaign keeps a customer the principles suppress for it, and nobody else gets
them in its window). It runs set-based: the customers are grouped by the pattern of audiences that hold them
(journeys.memberships), and each distinct pattern is arbitrated once.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence

from .memberships import membership_patterns, memberships_of
from .models import Campaign, CampaignStatus


def rank(campaign: Campaign) -> tuple:
    """The order in which campaigns claim a customer: priority, then the earlier start, then the lower id."""
    return (-campaign.priority, campaign.starts_at, campaign.pk)


def windows_overlap(a: Campaign, b: Campaign) -> bool:
    # Half-open windows: one ending as the other starts does not overlap it.
    return a.starts_at < b.ends_at and b.starts_at < a.ends_at


def collide(a: Campaign, b: Campaign) -> bool:
    return a.pk != b.pk and windows_overlap(a, b)


def arbitrate(campaigns: Iterable[Campaign]) -> dict[int, int | None]:
    """For one customer targeted by `campaigns`: campaign id -> None where it keeps them, else the id of the
    campaign it loses them to."""
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


def lost_to(campaign: Campaign, at: dt.datetime | None = None) -> list[dict]:
    """The customers of `campaign`'s audience that a colliding campaign keeps, per that campaign, most first:
    `[{"campaign": id, "customers": n}]` (the preview's `lost_to`)."""
    contenders = _contenders(campaign)
    if len(contenders) == 1:
        return []
    by_id = {c.pk: c for c in contenders}
    lost: Counter[int] = Counter()
    for pattern in membership_patterns(campaigns=contenders, at=at):
        if campaign.pk not in pattern.targeted:
            continue
        winner = arbitrate(by_id[pk] for pk in pattern.targeted)[campaign.pk]
        if winner is not None:
            lost[winner] += pattern.customers
    return [{"campaign": pk, "customers": n} for pk, n in sorted(lost.items(), key=lambda item: (-item[1], item[0]))]


def arbitration_summary(*, campaigns: Sequence[Campaign], at: dt.datetime | None = None) -> dict[int, dict]:
    """Per campaign: its audience, the customers it keeps and those it loses, per winner; one pass for all."""
    by_id = {c.pk: c for c in campaigns}
    summary = {pk: {"audience": 0, "kept": 0, "lost_to": Counter()} for pk in by_id}
    for pattern in membership_patterns(campaigns=campaigns, at=at):
        for pk, winner in arbitrate(by_id[pk] for pk in pattern.targeted).items():
            summary[pk]["audience"] += pattern.customers
            if winner is None:
                summary[pk]["kept"] += pattern.customers
            else:
                summary[pk]["lost_to"][winner] += pattern.customers
    return summary


def customer_assignments(
    *, campaigns: Sequence[Campaign], customer_ids: Iterable[int] | None = None, at: dt.datetime | None = None
) -> dict[int, dict[int, int | None]]:
    """customer id -> {campaign id -> None (keeps them) or the winner's id}, for the customers of any audience
    (or of `customer_ids`): arbitration customer by customer, for the 360° view."""
    by_id = {c.pk: c for c in campaigns}
    memberships = memberships_of(campaigns=campaigns, customer_ids=customer_ids, at=at)
    return {customer: arbitrate(by_id[pk] for pk in targeted) for customer, targeted in memberships.items()}
