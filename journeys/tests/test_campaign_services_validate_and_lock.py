"""The campaign services: every bad field named at once, nothing stored; lock_version; who may write; status."""

from __future__ import annotations

import datetime as dt

import pytest

from journeys import services
from journeys.models import Campaign, CampaignStatus

from .campaign_support import START, fields, stored


def test_a_marketer_creates_their_teams_campaign(marketer):
    campaign = services.campaign_create(actor=marketer, values={k: v for k, v in fields().items() if k != "team"})
    assert (campaign.team.key, campaign.touches, campaign.priority, campaign.status) == (
        "marketing_devices",
        2,
        5,
        "draft",
    )
    assert campaign.created_by == marketer and campaign.lock_version == 1


def test_every_bad_field_is_named_and_nothing_stored(marketer):
    bad = fields(
        name=" ",
        channel="pigeon",
        audience="open_tikets > 0",
        ends_at=(START - dt.timedelta(days=1)).isoformat(),
        touches=0,
        priority="high",
        status="sent",
        colour="red",
    )
    with pytest.raises(services.InvalidCampaign) as raised:
        services.campaign_create(actor=marketer, values=bad)
    errors = raised.value.errors
    assert set(errors) == {"name", "channel", "audience", "ends_at", "touches", "priority", "status", "colour"}
    (problem,) = raised.value.problems
    assert (problem.line, problem.column, problem.suggestion) == (1, 1, "open_tickets")
    assert not Campaign.objects.exists()


def test_missing_fields_are_required(marketer):
    with pytest.raises(services.InvalidCampaign) as raised:
        services.campaign_create(actor=marketer, values={"name": "x"})
    assert set(raised.value.errors) == {"category", "channel", "audience", "starts_at", "ends_at"}


def test_another_teams_campaign_is_refused(marketer, cx_manager):
    with pytest.raises(services.NotAllowed):
        services.campaign_create(actor=marketer, values=fields(team="marketing_services"))
    with pytest.raises(services.NotAllowed):
        services.campaign_create(actor=cx_manager, values=fields())
    other = stored("marketing_services")
    with pytest.raises(services.NotAllowed):
        services.campaign_update(campaign=other, actor=marketer, lock_version=1, changes={"name": "mine"})
    mine = stored()
    with pytest.raises(services.NotAllowed):
        services.campaign_update(campaign=mine, actor=marketer, lock_version=1, changes={"team": "marketing_services"})
    assert Campaign.objects.get(pk=mine.pk).team.key == "marketing_devices"


def test_a_stale_copy_is_refused_naming_who_saved(marketer):
    campaign = stored()
    services.campaign_update(campaign=campaign, actor=marketer, lock_version=1, changes={"name": "first"})
    with pytest.raises(services.StaleCopy) as raised:
        services.campaign_update(campaign=campaign, actor=marketer, lock_version=1, changes={"name": "second"})
    assert raised.value.saved_by == "mark"
    current = Campaign.objects.get(pk=campaign.pk)
    assert (current.name, current.lock_version, current.updated_by) == ("first", 2, marketer)


def test_an_edit_keeps_the_window_ordered(marketer):
    campaign = stored()
    with pytest.raises(services.InvalidCampaign) as raised:
        services.campaign_update(
            campaign=campaign,
            actor=marketer,
            lock_version=1,
            changes={"starts_at": (START + dt.timedelta(days=30)).isoformat()},
        )
    assert set(raised.value.errors) == {"ends_at"}
    assert Campaign.objects.get(pk=campaign.pk).starts_at == START


def test_schedule_cancel_and_delete(marketer):
    campaign = stored()
    campaign = services.campaign_schedule(campaign=campaign, actor=marketer, lock_version=1)
    assert campaign.status == CampaignStatus.SCHEDULED
    with pytest.raises(services.StatusRefused):
        services.campaign_delete(campaign=campaign, actor=marketer)
    campaign = services.campaign_cancel(campaign=campaign, actor=marketer, lock_version=campaign.lock_version)
    assert campaign.status == CampaignStatus.CANCELLED
    services.campaign_delete(campaign=campaign, actor=marketer)
    assert not Campaign.objects.exists()


def test_an_ended_window_cannot_be_scheduled(marketer):
    campaign = stored(starts_at=START - dt.timedelta(days=30), ends_at=START - dt.timedelta(days=20))
    with pytest.raises(services.StatusRefused):
        services.campaign_schedule(campaign=campaign, actor=marketer, lock_version=1)
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.DRAFT


def test_an_ended_window_cannot_be_scheduled_by_an_edit_either(marketer):
    ended = {"starts_at": START - dt.timedelta(days=30), "ends_at": START - dt.timedelta(days=20)}
    with pytest.raises(services.InvalidCampaign) as raised:
        as_text = {name: value.isoformat() for name, value in ended.items()}
        services.campaign_create(actor=marketer, values=fields(status="scheduled", **as_text))
    assert set(raised.value.errors) == {"status"}
    campaign = stored(**ended)
    with pytest.raises(services.InvalidCampaign):
        services.campaign_update(campaign=campaign, actor=marketer, lock_version=1, changes={"status": "scheduled"})
    moved = services.campaign_update(
        campaign=campaign,
        actor=marketer,
        lock_version=1,
        changes={"status": "scheduled", "ends_at": (START + dt.timedelta(days=1)).isoformat()},
    )
    assert moved.status == CampaignStatus.SCHEDULED
