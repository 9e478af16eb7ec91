"""The preview's endpoints and page, for every scope and role: it answers the preview (counts that add up,
samples linking to customers, every member in the CSV), a large population's runs in a worker with its
progress shown, and a kept preview is asked anew when the campaign changes."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

import pytest
from django.utils import timezone

from journeys.models import CampaignPreview
from journeys.preview_store import preview_request, preview_run
from membrane.runs.services import stages_evaluate_all
from membrane.tests.stage_helpers import NOW
from membrane.tests.test_actions_set_based_agreement import random_customer

from .campaign_support import stored

URL = "/api/v1/campaigns/{}/preview"


@pytest.fixture
def campaign(db):
    rng = random.Random(4)
    for n in range(8):
        random_customer(rng, f"pv-{n}")
    stages_evaluate_all(as_of=NOW, chunk_size=4)
    return stored("marketing_devices", audience="true")


def test_tokens_with_campaigns_or_read_scope_preview_others_are_refused(api, make_token, campaign):
    started = api(make_token("campaigns")).post(URL.format(campaign.pk))
    assert started.status_code == 200
    body = started.json()
    assert body["status"] == "ready"
    assert body["audience"] == 8 == body["allowed"] + body["suppressed"]
    assert sum(row["customers"] for row in body["by_principle"]) == 8
    assert sum(c["allowed"] + c["suppressed"] for c in body["by_stage"].values()) == 8
    assert body["lost_to"] == []

    read = api(make_token("read")).get(URL.format(campaign.pk))
    assert read.json() == body
    assert api(make_token("decide")).get(URL.format(campaign.pk)).status_code == 403
    assert api(None).get(URL.format(campaign.pk)).status_code in (401, 403)
    assert api(make_token("read")).get(URL.format(campaign.pk + 999)).status_code == 404


def test_the_csv_lists_every_member_once_as_the_preview_counts_them(api, make_token, campaign):
    token = make_token("read")
    summary = api(make_token("campaigns")).post(URL.format(campaign.pk)).json()
    response = api(token).get(URL.format(campaign.pk) + ".csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted(r["customer"] for r in rows) == [f"pv-{n}" for n in range(8)]
    assert sum(r["verdict"] == "suppress" for r in rows) == summary["suppressed"]
    assert all(r["reason"] for r in rows)


def test_the_page_for_marketers_and_cx_managers_not_agents(
    client, marketer, services_marketer, cx_manager, agent, campaign
):
    for user in (marketer, services_marketer, cx_manager):
        client.force_login(user)
        page = client.get(f"/campaigns/{campaign.pk}/preview/")
        assert page.status_code == 200
        text = page.content.decode()
        assert 'data-testid="preview-counts"' in text and "As of" in text
        assert "/customers/pv-" in text
    client.force_login(agent)
    assert client.get(f"/campaigns/{campaign.pk}/preview/").status_code == 403


def test_a_large_population_runs_in_a_worker_with_its_progress_on_the_page(client, cx_manager, campaign):
    preview = preview_request(campaign=campaign, large=0)
    assert (preview.status, preview.progress) == ("running", 0.0)
    client.force_login(cx_manager)
    running = client.get(f"/campaigns/{campaign.pk}/preview/", headers={"HX-Request": "true"}).content.decode()
    assert 'data-testid="preview-progress"' in running and 'hx-trigger="every 2s"' in running

    preview_run(preview_id=preview.pk)
    preview_run(preview_id=preview.pk)  # a second delivery of the task changes nothing
    preview.refresh_from_db()
    assert preview.status == "ready" and preview.result["audience"] == 8
    assert 'data-testid="preview-counts"' in client.get(f"/campaigns/{campaign.pk}/preview/").content.decode()


def test_a_kept_preview_stands_until_the_campaign_changes(campaign):
    first = preview_request(campaign=campaign)
    assert preview_request(campaign=campaign).pk == first.pk
    campaign.audience = "open_tickets >= 1"
    campaign.lock_version += 1
    campaign.save()
    second = preview_request(campaign=campaign)
    assert second.pk != first.pk
    assert second.result["audience"] < first.result["audience"]
    assert CampaignPreview.objects.filter(campaign=campaign).count() == 2


def test_a_campaign_starting_more_than_a_year_ahead_is_refused_clearly(api, make_token, client, cx_manager, campaign):
    campaign.starts_at = timezone.now() + dt.timedelta(days=400)
    campaign.ends_at = campaign.starts_at + dt.timedelta(days=3)
    campaign.save()
    token = make_token("campaigns")

    refused = api(token).post(URL.format(campaign.pk))
    assert refused.status_code == 400 and "more than a year ahead" in refused.json()["detail"]
    assert api(token).get(URL.format(campaign.pk) + ".csv").status_code == 400
    assert not CampaignPreview.objects.filter(campaign=campaign).exists()
    client.force_login(cx_manager)
    assert 'data-testid="preview-refused"' in client.get(f"/campaigns/{campaign.pk}/preview/").content.decode()
