"""GET /api/v1/conflicts: read or campaigns scope, marketers and CX managers; the board's conflicts as JSON."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cxcore.models import CustomerFacts

from .conflicts_support import campaign, population

# The users come from fixtures asked for by name (request.getfixturevalue), which pytest-django does not see:
# marked, these tests run with the database tests, before any transactional test has flushed the seeded rows.
pytestmark = pytest.mark.django_db

URL = "/api/v1/conflicts"


@pytest.fixture
def overlap(db):
    population(size=6)
    devices = campaign("Hardware", team="marketing_devices", category="service_update", start_day=1)
    services = campaign("Services", team="marketing_services", category="service_update", start_day=3)
    return devices, services


def test_the_url_is_named():
    assert reverse("api-conflicts") == URL


@pytest.mark.parametrize("scope", ["read", "campaigns"])
def test_a_token_with_read_or_campaigns_gets_the_conflicts(overlap, api, make_token, scope):
    devices, services = overlap
    response = api(make_token(scope)).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert [item["kind"] for item in body] == ["overlap"]
    item = body[0]
    assert item["campaigns"] == [devices.pk, services.pk]
    assert item["teams"] == ["marketing_devices", "marketing_services"]
    assert item["customers"] == CustomerFacts.objects.count() > 0
    assert item["same_channel"] is True
    assert item["severity"] == "high"
    assert item["window"] == {"starts_at": services.starts_at.isoformat(), "ends_at": devices.ends_at.isoformat()}


@pytest.mark.parametrize("scopes, status", [(("ingest", "decide"), 403), ((), 403)])
def test_a_token_without_those_scopes_is_refused(overlap, api, make_token, scopes, status):
    assert api(make_token(*scopes)).get(URL).status_code == status


def test_no_token_or_a_revoked_one_is_401(db, api):
    assert api(None).get(URL).status_code in (401, 403)
    assert api("not-a-token").get(URL).status_code == 401


@pytest.mark.parametrize("persona", ["marketer", "services_marketer", "cx_manager"])
def test_marketers_and_cx_managers_read_them(overlap, client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(URL)
    assert response.status_code == 200
    assert len(response.json()) == 1


@pytest.mark.parametrize("persona", ["agent", "outsider"])
def test_agents_and_users_without_a_role_are_refused(overlap, client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(URL).status_code == 403


def test_nothing_scheduled_nothing_in_conflict(db, api, make_token):
    population(size=3)
    campaign("Draft", status="draft")
    campaign("Another draft", status="draft")
    assert api(make_token("read")).get(URL).json() == []
