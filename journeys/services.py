"""Writing campaigns: create, edit with lock_version, schedule, cancel, delete (DESIGN.md sections 8, 9).

The console's form and the API both hand these functions the values as given (strings from a form, JSON
values from the API); `campaign_values_check` turns them into the model's values and names every bad field
at once, an audience's problems each with line, column, message and suggestion. An audience list
(`audience_list`: external ids; [] or None removes it) is checked against the customers and stored in the
same transaction as the campaign (journeys.audience_lists), so unknown ids save nothing; with a list, a
blank expression is `true` (the whole list). Who may write is decided
here too (`campaign_write_check`): a marketer only their own team's campaigns, an integration holding the
`campaigns` scope (the API has checked it) and an administrator any team's; CX managers and agents read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from cxcore.authentication import TokenUser
from cxcore.models import Category, Channel, Role, Team
from membrane.principles.conditions import ConditionError

from .audience_lists import Staged, list_ids_check, list_members_write, list_staged
from .audiences import audience_check
from .models import Campaign, CampaignStatus

FIELDS = (
    "name",
    "team",
    "category",
    "channel",
    "audience",
    "audience_list",
    "starts_at",
    "ends_at",
    "touches",
    "priority",
    "status",
)
REQUIRED = ("name", "team", "category", "channel", "audience", "starts_at", "ends_at")
DEFAULTS = {"touches": 1, "priority": 0, "status": CampaignStatus.DRAFT}
_VOCABULARIES = {"team": Team, "category": Category, "channel": Channel}
# An integer field's bounds: the model's columns (touches a PositiveSmallIntegerField, priority an integer).
_BOUNDS = {"touches": (1, 32767), "priority": (-(2**31), 2**31 - 1)}
MAX_NAME = 200
MAX_AUDIENCE = 4000


class CampaignError(Exception):
    pass


class NotAllowed(CampaignError):
    """This person (or integration) may not do this: 403."""


class InvalidCampaign(CampaignError):
    """Bad values: every bad field with its message, and the audience's problems as the check reports them."""

    def __init__(self, errors: dict[str, str], problems: list | None = None):
        self.errors = errors
        self.problems = problems or []
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))


@dataclass
class StaleCopy(CampaignError):
    """Someone saved since this copy was read: 409, naming who and when."""

    saved_by: str | None
    saved_at: dt.datetime
    current: Campaign = field(repr=False)

    def __str__(self) -> str:
        who = self.saved_by or "an integration"
        return f"{who} saved this campaign at {self.saved_at:%Y-%m-%d %H:%M} UTC since you opened it; reload it."


class StatusRefused(CampaignError):
    """What the campaign's status does not allow: 409."""


# -- who may write ---------------------------------------------------------------------------------------------


def _is_integration(actor) -> bool:
    return isinstance(actor, TokenUser)


def campaign_write_check(actor, team: Team | None) -> None:
    """NotAllowed unless `actor` may write campaigns of `team` (None: may write some team's campaigns)."""
    if _is_integration(actor) or actor.is_superuser or actor.has_role(Role.ADMIN):
        return
    if not actor.has_role(Role.MARKETER):
        raise NotAllowed("Only marketers write campaigns; CX managers read them.")
    if actor.team_id is None:
        raise NotAllowed("You belong to no team, so there is no team whose campaigns you may write.")
    if team is not None and team.pk != actor.team_id:
        raise NotAllowed(f"This is {team.name}'s campaign: marketers write only their own team's campaigns.")


def _user(actor):
    return None if _is_integration(actor) else actor


# -- values ----------------------------------------------------------------------------------------------------


def time_parse(value: Any) -> dt.datetime | str:
    """A datetime, or the message saying why not. A time without an offset is in the site's time zone (what a
    form's datetime-local sends)."""
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
        if parsed is None:
            return "Not a date and time: write it as ISO 8601, e.g. 2027-03-01T09:00:00+00:00."
    else:
        return "This field is required."
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _integer(name: str, value: Any) -> int | str:
    if isinstance(value, bool):
        return "Must be a whole number."
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            return "Must be a whole number."
    if not isinstance(value, int):
        return "Must be a whole number."
    low, high = _BOUNDS[name]
    if name == "touches" and value < 1:
        return "A campaign makes at least one touch per customer."
    if not low <= value <= high:
        return f"Must be between {low} and {high}."
    return value


def _unstorable(text: str) -> str | None:
    """PostgreSQL text cannot hold NUL and a lone surrogate cannot be encoded: either, stored or merely
    looked up, would be a 500 (schemathesis sent both)."""
    if "\x00" in text:
        return "Must not contain NUL characters."
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "Must be valid Unicode text."
    return None


def _key(name: str, value: Any):
    if isinstance(value, _VOCABULARIES[name]):
        return value
    if not isinstance(value, str) or not value.strip():
        return "This field is required." if value in (None, "") else "Must be a key (a string)."
    if problem := _unstorable(value):
        return problem
    found = _VOCABULARIES[name].objects.filter(key=value.strip()).first()
    if found is None:
        keys = ", ".join(_VOCABULARIES[name].objects.values_list("key", flat=True))
        return f"Unknown {name} '{value}'; one of {keys}."
    return found


def campaign_values_check(given: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str], list]:
    """The given fields as the model's values, with every bad field's message and the audience's problems."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    problems: list = []
    for name, value in given.items():
        if name not in FIELDS:
            errors[name] = "Unknown field."
            continue
        if name == "name":
            text = value.strip() if isinstance(value, str) else None
            if not text:
                errors[name] = "Give the campaign a name." if text is not None or value is None else "Must be text."
            elif len(text) > MAX_NAME:
                errors[name] = f"At most {MAX_NAME} characters."
            elif problem := _unstorable(text):
                errors[name] = problem
            else:
                values[name] = text
        elif name in _VOCABULARIES:
            found = _key(name, value)
            (errors if isinstance(found, str) else values)[name] = found
        elif name == "audience_list":
            found = list_ids_check([] if value is None else value)
            (errors if isinstance(found, str) else values)[name] = found
        elif name == "audience":
            if not isinstance(value, str) or not value.strip():
                errors[name] = "Write an audience, e.g. open_tickets == 0; true for every customer."
            elif len(value) > MAX_AUDIENCE:
                errors[name] = f"At most {MAX_AUDIENCE} characters."
            else:
                text = value.replace("\r\n", "\n")
                try:
                    audience_check(text)
                    values[name] = text
                except ConditionError as error:
                    problems = error.problems
                    errors[name] = str(error)
        elif name in ("starts_at", "ends_at"):
            found = time_parse(value)
            (errors if isinstance(found, str) else values)[name] = found
        elif name in _BOUNDS:
            found = _integer(name, value)
            (errors if isinstance(found, str) else values)[name] = found
        elif name == "status":
            if value not in CampaignStatus.values:
                errors[name] = f"One of {', '.join(CampaignStatus.values)}."
            else:
                values[name] = value
    return values, errors, problems


ENDED = "Its window has ended: move the window before scheduling it."
WHOLE_LIST = "true"


def _blank_audience_for_list(given: dict[str, Any], *, has_list: bool) -> dict[str, Any]:
    """With a list (given, or kept), a blank expression is `true`: the audience is the whole list."""
    listed = given.get("audience_list")
    will_have_list = bool(listed) if isinstance(listed, list) else has_list and "audience_list" not in given
    audience = given.get("audience")
    if will_have_list and (audience is None or (isinstance(audience, str) and not audience.strip())):
        return {**given, "audience": WHOLE_LIST}
    return given


@contextmanager
def _list_staged(cleaned: dict[str, Any], errors: dict[str, str]) -> Iterator[Staged | None]:
    """The given list staged and checked (its unknown ids an error), or None when none is given."""
    ids = cleaned.pop("audience_list", None)
    if not ids:
        yield None
        return
    with list_staged(ids) as staged:
        if staged.problem:
            errors["audience_list"] = staged.problem
        yield staged


def _whole_check(merged: dict[str, Any], errors: dict[str, str], *, scheduling: bool) -> None:
    """What the fields say together: the window's order, and a campaign being scheduled still to come."""
    starts, ends = merged.get("starts_at"), merged.get("ends_at")
    if isinstance(starts, dt.datetime) and isinstance(ends, dt.datetime) and ends <= starts:
        errors.setdefault("ends_at", "The window must end after it starts.")
    if scheduling and isinstance(ends, dt.datetime) and ends <= timezone.now():
        errors.setdefault("status", ENDED)


# -- writes ----------------------------------------------------------------------------------------------------


def campaign_create(*, actor, values: dict[str, Any]) -> Campaign:
    """A new campaign from the given fields (touches, priority and status have defaults); InvalidCampaign
    naming every bad field, NotAllowed for another team's (a marketer's own team when none is given)."""
    given = _blank_audience_for_list(dict(values), has_list=False)
    if "team" not in given and not _is_integration(actor) and getattr(actor, "team", None) is not None:
        given["team"] = actor.team
    campaign_write_check(actor, None)
    cleaned, errors, problems = campaign_values_check(given)
    errors.update({name: "This field is required." for name in REQUIRED if name not in given})
    if isinstance(cleaned.get("team"), Team):
        campaign_write_check(actor, cleaned["team"])
    with transaction.atomic(), _list_staged(cleaned, errors) as staged:
        merged = {**DEFAULTS, **cleaned}
        _whole_check(merged, errors, scheduling=merged["status"] == CampaignStatus.SCHEDULED)
        if errors:
            raise InvalidCampaign(errors, problems)
        user = _user(actor)
        size = staged.size if staged else 0
        campaign = Campaign.objects.create(**merged, audience_list_size=size, created_by=user, updated_by=user)
        if staged:
            list_members_write(campaign=campaign, staged=staged)
    return campaign


def campaign_update(*, campaign: Campaign, actor, lock_version: Any, changes: dict[str, Any]) -> Campaign:
    """The changes saved over the copy read at `lock_version`; StaleCopy if someone saved since."""
    campaign_write_check(actor, campaign.team)
    changes = _blank_audience_for_list(changes, has_list=bool(campaign.audience_list_size))
    cleaned, errors, problems = campaign_values_check(changes)
    if isinstance(lock_version, bool) or not isinstance(lock_version, int):
        errors["lock_version"] = "This field is required: the lock_version of the copy you edited."
    if isinstance(cleaned.get("team"), Team):
        campaign_write_check(actor, cleaned["team"])
    listing = "audience_list" in cleaned
    with transaction.atomic(), _list_staged(cleaned, errors) as staged:
        # The row alone: rows joined to a locked row are those of the snapshot before the wait, so a join
        # would name the previous saver's predecessor (none) after waiting for their commit.
        current = Campaign.objects.select_for_update().get(pk=campaign.pk)
        merged = {**{name: getattr(current, name) for name in ("starts_at", "ends_at")}, **cleaned}
        scheduling = cleaned.get("status") == CampaignStatus.SCHEDULED != current.status
        _whole_check(merged, errors, scheduling=scheduling)
        if errors:
            raise InvalidCampaign(errors, problems)
        if current.lock_version != lock_version:
            by = current.updated_by.get_username() if current.updated_by else None
            raise StaleCopy(saved_by=by, saved_at=current.updated_at, current=current)
        for name, value in cleaned.items():
            setattr(current, name, value)
        if listing:
            list_members_write(campaign=current, staged=staged)
            current.audience_list_size = staged.size if staged else 0
        current.lock_version += 1
        current.updated_by = _user(actor)
        listed = ["audience_list_size"] if listing else []
        current.save(update_fields=[*cleaned, *listed, "lock_version", "updated_by", "updated_at"])
    return current


def _status_set(
    *, campaign: Campaign, actor, lock_version: Any, status: str, allowed_from: tuple[str, ...]
) -> Campaign:
    campaign_write_check(actor, campaign.team)
    if campaign.status == status:
        return campaign
    if campaign.status not in allowed_from:
        raise StatusRefused(f"A {campaign.status} campaign cannot become {status}.")
    return campaign_update(campaign=campaign, actor=actor, lock_version=lock_version, changes={"status": status})


def campaign_schedule(*, campaign: Campaign, actor, lock_version: Any) -> Campaign:
    """A draft (or a cancelled campaign, taken up again) becomes scheduled: the conflicts count it."""
    if campaign.ends_at <= timezone.now():
        raise StatusRefused(ENDED)
    return _status_set(
        campaign=campaign,
        actor=actor,
        lock_version=lock_version,
        status=CampaignStatus.SCHEDULED,
        allowed_from=(CampaignStatus.DRAFT, CampaignStatus.CANCELLED),
    )


def campaign_cancel(*, campaign: Campaign, actor, lock_version: Any) -> Campaign:
    return _status_set(
        campaign=campaign,
        actor=actor,
        lock_version=lock_version,
        status=CampaignStatus.CANCELLED,
        allowed_from=(CampaignStatus.DRAFT, CampaignStatus.SCHEDULED),
    )


def campaign_delete(*, campaign: Campaign, actor) -> None:
    """Deletes a draft or a cancelled campaign; a scheduled one is cancelled first, so nobody loses one the
    conflict board still counts by accident."""
    campaign_write_check(actor, campaign.team)
    with transaction.atomic():
        current = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if current.status == CampaignStatus.SCHEDULED:
            raise StatusRefused("A scheduled campaign cannot be deleted: cancel it first.")
        current.delete()
