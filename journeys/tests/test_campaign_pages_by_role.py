"""The campaign pages: the list, the form and the campaign's page, for the right person, another team's
marketer, a CX manager (reads), an agent (nothing) and nobody; bad input changes nothing."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from journeys.audiences import audience_count
from journeys.models import Campaign, CampaignStatus
from membrane.runs.services import stages_evaluate_all
from membrane.tests.stage_helpers import NOW
from membrane.tests.test_actions_set_based_agreement import random_customer

from .campaign_support import START, stored


def form_data(**changes) -> dict:
    return {
        "name": "Terminal upgrade",
        "team": "marketing_devices",
        "category": "upsell",
        "channel": "email",
        "status": "draft",
        "audience": "open_tickets == 0",
        "starts_at": START.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (START + dt.timedelta(days=14)).strftime("%Y-%m-%dT%H:%M"),
        "touches": "1",
        "priority": "3",
        **changes,
    }


def test_the_list_by_role(client, marketer, cx_manager, agent):
    stored("marketing_services", name="Service plans")
    assert client.get("/campaigns/").status_code == 302
    for who in (marketer, cx_manager):
        client.force_login(who)
        page = client.get("/campaigns/")
        assert page.status_code == 200 and "Service plans" in page.content.decode()
        assert ('data-testid="new-campaign"' in page.content.decode()) == (who == marketer)
    client.force_login(agent)
    refused = client.get("/campaigns/")
    page = refused.content.decode()
    assert refused.status_code == 403
    assert 'data-testid="not-for-you"' in page and "Service plans" not in page


def test_the_list_filters_and_names_a_bad_filter(client, marketer):
    stored("marketing_services", name="Service plans")
    stored("marketing_devices", name="New terminals", status=CampaignStatus.SCHEDULED)
    client.force_login(marketer)
    page = client.get("/campaigns/", {"team": "marketing_devices"}).content.decode()
    assert "New terminals" in page and "Service plans" not in page
    fragment = client.get("/campaigns/", {"status": "draft"}, headers={"HX-Request": "true"}).content.decode()
    assert "Service plans" in fragment and "New terminals" not in fragment and "<html" not in fragment
    bad = client.get("/campaigns/", {"from": "soon"}).content.decode()
    assert "is not a date" in bad and "Service plans" in bad
    assert "No campaign matches" in client.get("/campaigns/", {"from": "2999-01-01"}).content.decode()


def test_the_list_reads_a_fixed_number_of_queries(client, marketer):
    client.force_login(marketer)
    stored()
    with CaptureQueriesContext(connection) as one:
        client.get("/campaigns/")
    for n in range(5):
        stored("marketing_services", name=f"c{n}")
    with CaptureQueriesContext(connection) as six:
        assert client.get("/campaigns/").content.decode().count('data-testid="campaign-row"') == 6
    assert len(six) == len(one)


def test_a_marketer_creates_one(client, marketer):
    client.force_login(marketer)
    page = client.get("/campaigns/new/").content.decode()
    assert 'name="audience"' in page and 'data-testid="fact-open_tickets"' in page
    answer = client.post("/campaigns/new/", form_data())
    campaign = Campaign.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/campaigns/{campaign.pk}/"
    assert (campaign.team.key, campaign.priority, campaign.created_by) == ("marketing_devices", 3, marketer)


def test_a_typo_is_shown_with_its_fix_and_nothing_saved(client, marketer):
    client.force_login(marketer)
    answer = client.post("/campaigns/new/", form_data(audience="open_tikets == 0", touches="0"))
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "did you mean" in page and 'data-replacement="open_tickets"' in page
    assert '<mark class="cond-error">open_tikets</mark>' in page
    assert "at least one touch" in page
    assert not Campaign.objects.exists()


def test_the_wrong_people_cannot_write(client, marketer, cx_manager, agent, services_marketer):
    theirs = stored("marketing_services")
    client.force_login(cx_manager)
    assert client.get("/campaigns/new/").status_code == 403
    client.force_login(agent)
    assert client.get(f"/campaigns/{theirs.pk}/").status_code == 403
    client.force_login(marketer)
    assert client.post("/campaigns/new/", form_data(team="marketing_services")).status_code == 403
    assert client.get(f"/campaigns/{theirs.pk}/edit/").status_code == 403
    assert client.post(f"/campaigns/{theirs.pk}/cancel/", {"lock_version": "1"}).status_code == 403
    assert 'data-testid="edit"' not in client.get(f"/campaigns/{theirs.pk}/").content.decode()
    assert client.get(f"/campaigns/{theirs.pk + 1}/").status_code == 404
    assert Campaign.objects.get().status == CampaignStatus.DRAFT and Campaign.objects.count() == 1


def test_editing_a_stale_copy_names_who_saved(client, marketer):
    campaign = stored()
    client.force_login(marketer)
    assert 'name="lock_version" value="1"' in client.get(f"/campaigns/{campaign.pk}/edit/").content.decode()
    first = client.post(f"/campaigns/{campaign.pk}/edit/", form_data(name="First", lock_version="1"))
    assert first.status_code == 302
    stale = client.post(f"/campaigns/{campaign.pk}/edit/", form_data(name="Second", lock_version="1"))
    assert stale.status_code == 409
    page = stale.content.decode()
    assert "mark saved this campaign" in page and 'value="Second"' in page
    assert Campaign.objects.get().name == "First"
    assert 'name="lock_version" value="1"' in page and 'name="overwrite" value="2"' in page
    mine = client.post(f"/campaigns/{campaign.pk}/edit/", form_data(name="Second", lock_version="1", overwrite="2"))
    assert mine.status_code == 302 and Campaign.objects.get().name == "Second"


def test_the_campaign_page_and_its_steps(client, marketer, cx_manager):
    campaign = stored(name="Spring terminals")
    client.force_login(cx_manager)
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "Spring terminals" in page and 'href="/conflicts/"' in page and 'data-testid="schedule"' not in page
    client.force_login(marketer)
    assert client.post(f"/campaigns/{campaign.pk}/schedule/", {"lock_version": "1"}).status_code == 302
    assert Campaign.objects.get().status == CampaignStatus.SCHEDULED
    client.post(f"/campaigns/{campaign.pk}/delete/")
    assert Campaign.objects.get().status == CampaignStatus.SCHEDULED
    assert "cancel it first" in client.get(f"/campaigns/{campaign.pk}/").content.decode()
    client.post(f"/campaigns/{campaign.pk}/cancel/", {"lock_version": "2"})
    assert Campaign.objects.get().status == CampaignStatus.CANCELLED
    assert client.post(f"/campaigns/{campaign.pk}/delete/").status_code == 302
    assert not Campaign.objects.exists()


@pytest.mark.parametrize(
    "audience, shown",
    [("open_tikets > 0", 'data-replacement="open_tickets"'), ("open_tickets > 0", "Valid. Reads open_tickets")],
)
def test_the_live_check(client, marketer, audience, shown):
    client.force_login(marketer)
    fragment = client.post("/campaigns/audience/check/", {"audience": audience}).content.decode()
    assert shown in fragment and "hx-swap-oob" in fragment


def test_the_live_count_is_the_audience_count(client, marketer):
    rng = random.Random(3)
    for n in range(4):
        random_customer(rng, f"live-{n}")
    stages_evaluate_all(as_of=NOW, chunk_size=10)
    client.force_login(marketer)
    expected = audience_count(expression="true")
    assert expected == 4
    answer = client.post("/campaigns/audience/count/", {"audience": "true"}).content.decode()
    assert f'data-testid="audience-count-value">{expected}</strong>' in answer
    assert "No count" in client.post("/campaigns/audience/count/", {"audience": "open_tikets"}).content.decode()
