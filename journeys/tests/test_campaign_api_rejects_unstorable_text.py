"""A campaign's name or key holding NUL or a lone surrogate is a 400 naming the field, never a 500
(PostgreSQL text cannot hold NUL; schemathesis found the PATCH answering 500), and nothing changes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from journeys.models import Campaign

pytestmark = pytest.mark.django_db

STARTS = timezone.now() + dt.timedelta(days=30)
VALID = {
    "name": "Autumn terminals",
    "team": "marketing_devices",
    "category": "marketing",
    "channel": "email",
    "audience": "true",
    "starts_at": STARTS.isoformat(),
    "ends_at": (STARTS + dt.timedelta(days=7)).isoformat(),
}
NUL = "te\x00am"


@pytest.mark.parametrize("field", ["name", "team", "category", "channel"])
@pytest.mark.parametrize("value", [NUL, "\ud934team"])
def test_creating_with_unstorable_text_is_a_400(api, make_token, field, value):
    response = api(make_token("campaigns")).post("/api/v1/campaigns", {**VALID, field: value})

    assert response.status_code == 400, response.content
    assert not Campaign.objects.exists()


def test_changing_to_a_nul_is_a_400_naming_the_fields_and_changes_nothing(client, api, make_token):
    token = make_token("campaigns")
    created = api(token).post("/api/v1/campaigns", VALID).json()

    response = client.patch(
        f"/api/v1/campaigns/{created['id']}",
        {"team": NUL, "name": NUL, "lock_version": created["lock_version"]},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 400, response.content
    assert sorted(error["field"] for error in response.json()["errors"]) == ["name", "team"]
    campaign = Campaign.objects.get(pk=created["id"])
    assert (campaign.name, campaign.team.key) == ("Autumn terminals", "marketing_devices")
