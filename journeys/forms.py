"""The campaign form's values: what the page shows in its inputs, and what a POST hands the services.

The services validate (one place names every bad field, for the console and the API alike); this module only
moves values between the model and the form's strings. Times are shown and read as the browser's
datetime-local inputs write them, in the site's time zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.http import QueryDict
from django.utils import timezone

from . import services
from .models import Campaign, CampaignStatus

TEXT_FIELDS = services.FIELDS
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def local_input(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime(LOCAL_FORMAT) if value else ""


@dataclass
class CampaignForm:
    """The form as shown: every field's text, the copy's lock_version, and the errors of the last save."""

    values: dict[str, str]
    lock_version: int | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def blank(cls, *, team: str = "") -> CampaignForm:
        start = (timezone.localtime() + dt.timedelta(days=7)).replace(hour=9, minute=0, second=0, microsecond=0)
        values = dict.fromkeys(TEXT_FIELDS, "")
        values.update(
            team=team,
            starts_at=local_input(start),
            ends_at=local_input(start + dt.timedelta(days=14)),
            touches="1",
            priority="0",
            status=CampaignStatus.DRAFT,
        )
        return cls(values)

    @classmethod
    def of(cls, campaign: Campaign) -> CampaignForm:
        values = {
            "name": campaign.name,
            "team": campaign.team.key,
            "category": campaign.category.key,
            "channel": campaign.channel.key,
            "audience": campaign.audience,
            "starts_at": local_input(campaign.starts_at),
            "ends_at": local_input(campaign.ends_at),
            "touches": str(campaign.touches),
            "priority": str(campaign.priority),
            "status": campaign.status,
        }
        return cls(values, lock_version=campaign.lock_version)

    @classmethod
    def posted(cls, data: QueryDict) -> CampaignForm:
        values = {name: data.get(name, "") for name in TEXT_FIELDS}
        values["audience"] = values["audience"].replace("\r\n", "\n")
        # "Save mine over theirs" after a refused save sends the lock_version of the copy saved in between.
        given = data.get("overwrite") or data.get("lock_version", "")
        return cls(values, lock_version=int(given) if given.isdigit() else None)

    def changes(self) -> dict[str, str]:
        """What the services are given: every field as typed."""
        return dict(self.values)
