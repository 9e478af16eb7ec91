"""Reading campaigns: the one access check per campaign, and the filtered list the page and the API share."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from cxcore.authentication import TokenUser
from cxcore.models import Role

from .models import Campaign, CampaignStatus
from .services import NotAllowed, campaign_write_check

# Who reads campaigns in the console: marketers (every team's, to see what theirs collides with), CX managers
# and administrators. Agents have nothing to do with them.
READER_ROLES = (Role.MARKETER, Role.CX_MANAGER, Role.ADMIN)


def campaign_get_for_user(user, pk, *, write: bool = False) -> Campaign:
    """The campaign `pk` if `user` may read it (or, `write`, change it): Http404 if there is none,
    PermissionDenied (with the reason) if they may not."""
    campaign = Campaign.objects.select_related("team", "category", "channel", "created_by", "updated_by").filter(pk=pk)
    found = campaign.first() if str(pk).isdigit() else None
    if found is None:
        raise Http404("There is no such campaign.")
    if not isinstance(user, TokenUser) and not user.has_role(*READER_ROLES):
        raise PermissionDenied("Campaigns are read by marketers and CX managers.")
    if write:
        try:
            campaign_write_check(user, found.team)
        except NotAllowed as refused:
            raise PermissionDenied(str(refused)) from None
    return found


@dataclass(frozen=True)
class CampaignFilters:
    """What the list is narrowed to; None or "" means every one. The window: campaigns running at some time
    between `from_` and `to` (their window overlaps it)."""

    team: str = ""
    status: str = ""
    from_: dt.datetime | None = None
    to: dt.datetime | None = None


def campaigns_list(filters: CampaignFilters = CampaignFilters()) -> QuerySet[Campaign]:
    campaigns = Campaign.objects.select_related("team", "category", "channel")
    if filters.team:
        campaigns = campaigns.filter(team__key=filters.team)
    if filters.status:
        campaigns = campaigns.filter(status=filters.status)
    if filters.from_ is not None:
        campaigns = campaigns.filter(ends_at__gt=filters.from_)
    if filters.to is not None:
        campaigns = campaigns.filter(starts_at__lt=filters.to)
    return campaigns.order_by("starts_at", "id")


STATUSES = CampaignStatus.values
