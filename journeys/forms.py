"""The campaign form's values: what the page shows in its inputs, and what a POST hands the services.

The services validate (one place names every bad field, for the console and the API alike); this module only
moves values between the model and the form's strings. Times are shown and read as the browser's
datetime-local inputs write them, in the site's time zone. The audience list comes pasted (`audience_list`,
one id a line or comma separated) or as an uploaded CSV file (`audience_file`), the two together; left empty,
an edit keeps the stored list unless `remove_list` is ticked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict
from django.utils import timezone

from . import services
from .audience_lists import list_ids_from_csv, list_ids_parse
from .models import Campaign, CampaignStatus

TEXT_FIELDS = services.FIELDS  # audience_list: the pasted ids, as typed
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def local_input(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime(LOCAL_FORMAT) if value else ""


@dataclass
class CampaignForm:
    """The form as shown: every field's text, the copy's lock_version, and the errors of the last save."""

    values: dict[str, str]
    lock_version: int | None = None
    errors: dict[str, str] = field(default_factory=dict)
    # The uploaded file's ids, or why it could not be read; the stored list removed.
    uploaded: list[str] | str | None = None
    remove_list: bool = False

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
            "audience_list": "",
            "starts_at": local_input(campaign.starts_at),
            "ends_at": local_input(campaign.ends_at),
            "touches": str(campaign.touches),
            "priority": str(campaign.priority),
            "status": campaign.status,
        }
        return cls(values, lock_version=campaign.lock_version)

    @classmethod
    def posted(cls, data: QueryDict, files=None) -> CampaignForm:
        values = {name: data.get(name, "") for name in TEXT_FIELDS}
        values["audience"] = values["audience"].replace("\r\n", "\n")
        # "Save mine over theirs" after a refused save sends the lock_version of the copy saved in between.
        given = data.get("overwrite") or data.get("lock_version", "")
        upload: UploadedFile | None = (files or {}).get("audience_file")
        return cls(
            values,
            lock_version=int(given) if given.isdigit() else None,
            uploaded=list_ids_from_csv(upload.read()) if upload else None,
            remove_list=data.get("remove_list") == "on",
        )

    @property
    def list_problem(self) -> str | None:
        return self.uploaded if isinstance(self.uploaded, str) else None

    def list_ids(self) -> list[str] | None:
        """The list given (pasted and uploaded ids, each once), [] to remove it, None to keep what is stored."""
        uploaded = self.uploaded if isinstance(self.uploaded, list) else []
        ids = list_ids_parse(self.values["audience_list"]) + uploaded
        if ids:
            return list(dict.fromkeys(ids))
        return [] if self.remove_list else None

    def changes(self) -> dict:
        """What the services are given: every field as typed, the list as its ids (left out: kept)."""
        changes: dict = dict(self.values)
        ids = self.list_ids()
        if ids is None:
            del changes["audience_list"]
        else:
            changes["audience_list"] = ids
        return changes
