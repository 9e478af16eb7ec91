"""load_demo adds the departments' campaigns (through cxcore's demo_loaded hook), and the board has real conflicts."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from journeys.conflicts import conflicts_find
from journeys.demo import DEMO_CAMPAIGNS
from journeys.models import Campaign, CampaignStatus
from membrane.runs.services import stages_evaluate_changed

pytestmark = pytest.mark.django_db


def load_demo() -> str:
    out = io.StringIO()
    call_command("load_demo", "--customers", "80", stdout=out)
    return out.getvalue()


def test_the_demo_schedules_three_departments_campaigns_over_the_same_weeks():
    printed = load_demo()
    campaigns = list(Campaign.objects.select_related("team", "created_by").order_by("name"))
    assert {(c.name, c.team.key) for c in campaigns} == {(s.name, s.team) for s in DEMO_CAMPAIGNS}
    assert all(c.status == CampaignStatus.SCHEDULED and c.created_by is not None for c in campaigns)
    assert "Demo campaigns:" in printed
    # Every window overlaps every other.
    assert max(c.starts_at for c in campaigns) < min(c.ends_at for c in campaigns)


def test_a_rerun_puts_them_back_without_copies():
    load_demo()
    Campaign.objects.filter(name="Satisfaction survey").update(status=CampaignStatus.CANCELLED)
    load_demo()
    assert Campaign.objects.count() == len(DEMO_CAMPAIGNS)
    survey = Campaign.objects.get(name="Satisfaction survey")
    assert survey.status == CampaignStatus.SCHEDULED and survey.lock_version == 2


def test_once_evaluated_the_board_shows_each_kind_of_conflict():
    load_demo()
    # What the worker does after the demo's signals arrive: every customer brought up to now in event time.
    stages_evaluate_changed()
    found = conflicts_find()
    kinds = {c.kind for c in found}
    assert kinds == {"overlap", "suppressed_audience", "over_cap"}
    teams = {tuple(c.teams) for c in found if c.kind == "overlap"}
    assert ("marketing_devices", "marketing_services") in teams
    suppressed = {c.campaigns[0].name for c in found if c.kind == "suppressed_audience"}
    assert "Satisfaction survey" in suppressed
    # The reference story's cap: the merchant at risk is not to get two hardware upsells in a month.
    capped = [c for c in found if c.kind == "over_cap"]
    assert [c.campaigns[0].name for c in capped] == ["New card terminals"]
    assert capped[0].cap.slug == "at-risk-one-upsell-a-month"
