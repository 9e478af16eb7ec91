"""/api/v1/campaigns: every endpoint for tokens by scope and console users by role; errors change nothing."""

from __future__ import annotations

import pytest
import yaml

from journeys.models import Campaign, CampaignStatus

from .campaign_support import fields, stored

LIST = "/api/v1/campaigns"


def one(pk) -> str:
    return f"{LIST}/{pk}"


@pytest.fixture
def call(client, make_token):
    """call(who, method, url, body): who is a scope string for a token, a user for a session, None for nobody."""

    def send(who, method: str, url: str, body=None):
        headers = {}
        if isinstance(who, str):
            headers["Authorization"] = f"Bearer {make_token(who)}"
        elif who is not None:
            client.force_login(who)
        kwargs = {"content_type": "application/json", "headers": headers}
        if body is not None:
            kwargs["data"] = body
        response = getattr(client, method)(url, **kwargs)
        client.logout()
        return response

    return send


def test_reading_needs_the_scope_or_a_reading_role(call, marketer, cx_manager, agent):
    campaign = stored("marketing_services")
    for who in ("campaigns", "read", marketer, cx_manager):
        listed = call(who, "get", LIST)
        assert listed.status_code == 200, who
        assert [c["id"] for c in listed.json()] == [campaign.pk]
        assert call(who, "get", one(campaign.pk)).json()["team"] == "marketing_services"
    assert call(None, "get", LIST).status_code == 401
    assert call("ingest", "get", LIST).status_code == 403
    assert call(agent, "get", LIST).status_code == 403
    assert call(agent, "get", one(campaign.pk)).status_code == 403
    assert call("campaigns", "get", one(campaign.pk + 1)).status_code == 404


def test_the_list_filters(call):
    devices = stored("marketing_devices")
    stored("marketing_services", status=CampaignStatus.SCHEDULED)
    assert [c["id"] for c in call("read", "get", f"{LIST}?team=marketing_devices").json()] == [devices.pk]
    assert [c["team"] for c in call("read", "get", f"{LIST}?status=scheduled").json()] == ["marketing_services"]
    later = devices.ends_at.isoformat().replace("+", "%2B")
    assert call("read", "get", f"{LIST}?from={later}").json() == []
    bad = call("read", "get", f"{LIST}?status=sent&from=soon")
    assert bad.status_code == 400
    assert {e["field"] for e in bad.json()["errors"]} == {"status", "from"}


def test_creating(call, marketer, cx_manager, agent):
    made = call("campaigns", "post", LIST, fields())
    assert made.status_code == 201
    assert made.json()["created_by"] is None and made.json()["lock_version"] == 1
    mine = call(marketer, "post", LIST, {k: v for k, v in fields().items() if k != "team"})
    assert mine.status_code == 201 and mine.json()["team"] == "marketing_devices"
    assert mine.json()["created_by"] == "mark"
    assert call(marketer, "post", LIST, fields(team="marketing_services")).status_code == 403
    assert call(cx_manager, "post", LIST, fields()).status_code == 403
    assert call(agent, "post", LIST, fields()).status_code == 403
    assert call("read", "post", LIST, fields()).status_code == 403
    assert call(None, "post", LIST, fields()).status_code == 401
    assert Campaign.objects.count() == 2


def test_a_bad_audience_is_placed_and_every_bad_field_named(call):
    typo = 'stage == "crisis" and open_tikets > 0'
    answer = call("campaigns", "post", LIST, fields(audience=typo, touches=0))
    assert answer.status_code == 400
    errors = answer.json()["errors"]
    audience = [e for e in errors if e["field"] == "audience"]
    assert audience == [
        {
            "index": None,
            "field": "audience",
            "line": 1,
            "column": typo.index("open_tikets") + 1,
            "message": audience[0]["message"],
            "suggestion": "open_tickets",
        }
    ]
    assert "touches" in {e["field"] for e in errors}
    assert call("campaigns", "post", LIST, [1]).status_code == 400
    assert call("campaigns", "post", LIST, "{").status_code == 400
    assert not Campaign.objects.exists()


def test_patching_with_lock_version(call, marketer, services_marketer, cx_manager):
    campaign = stored()
    assert call(services_marketer, "patch", one(campaign.pk), {"lock_version": 1, "name": "x"}).status_code == 403
    assert call(cx_manager, "patch", one(campaign.pk), {"lock_version": 1, "name": "x"}).status_code == 403
    assert call("read", "patch", one(campaign.pk), {"lock_version": 1, "name": "x"}).status_code == 403
    missing = call(marketer, "patch", one(campaign.pk), {"name": "x"})
    assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "lock_version"
    saved = call(marketer, "patch", one(campaign.pk), {"lock_version": 1, "name": "Summer", "status": "scheduled"})
    assert saved.status_code == 200
    assert (saved.json()["name"], saved.json()["status"], saved.json()["lock_version"]) == ("Summer", "scheduled", 2)
    stale = call("campaigns", "patch", one(campaign.pk), {"lock_version": 1, "name": "Autumn"})
    assert stale.status_code == 409
    assert stale.json()["saved_by"] == "mark" and stale.json()["current"]["name"] == "Summer"
    assert call("campaigns", "patch", one(campaign.pk + 1), {"lock_version": 1}).status_code == 404
    assert Campaign.objects.get(pk=campaign.pk).name == "Summer"


def test_deleting(call, marketer, services_marketer):
    campaign = stored(status=CampaignStatus.SCHEDULED)
    assert call(services_marketer, "delete", one(campaign.pk)).status_code == 403
    assert call(marketer, "delete", one(campaign.pk)).status_code == 409
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.CANCELLED)
    assert call("read", "delete", one(campaign.pk)).status_code == 403
    assert call(marketer, "delete", one(campaign.pk)).status_code == 204
    assert call(marketer, "delete", one(campaign.pk)).status_code == 404


def test_the_schema_documents_the_campaigns(client, agent):
    client.force_login(agent)
    schema = yaml.safe_load(client.get("/api/schema/").content)
    listed, detail = schema["paths"]["/api/v1/campaigns"], schema["paths"]["/api/v1/campaigns/{id}"]
    assert {"get", "post"} <= set(listed) and {"get", "patch", "delete"} <= set(detail)
    body = listed["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert "audience" in body["properties"] and "ends_at" in body["required"]
    assert {"201", "400", "403"} <= set(listed["post"]["responses"])
    assert {"200", "400", "409", "404"} <= set(detail["patch"]["responses"])
