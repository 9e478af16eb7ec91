"""The decision API authenticates as every endpoint does (DRF's authentication class and the scope
permission), so a bad token is a 401 whatever the body, its content type included (issue 13)."""

from __future__ import annotations

import json

import pytest
from rest_framework.views import APIView

from cxcore.factories import CustomerFactory
from membrane.decisions.api import DecisionBatchView, DecisionView
from membrane.models.decisions import DecisionLog

QUESTION = {"customer": "M-1", "team": "marketing_devices", "category": "upsell", "channel": "email"}
BODIES = {
    "/api/v1/decisions": json.dumps(QUESTION),
    "/api/v1/decisions/batch": json.dumps({"decisions": [QUESTION]}),
    "/api/v1/signals": json.dumps({"signals": []}),
}


@pytest.mark.parametrize("view", [DecisionView, DecisionBatchView])
def test_no_decision_view_has_an_authentication_or_permission_step_of_its_own(view):
    for step in ("perform_authentication", "check_permissions", "initial"):
        assert getattr(view, step) is getattr(APIView, step), step


@pytest.mark.parametrize("url", list(BODIES))
def test_a_bad_token_is_a_401_before_the_content_type_is_looked_at(client, db, url):
    CustomerFactory(external_id="M-1", consent={"email": True})

    response = client.post(url, BODIES[url], content_type="text/plain", headers={"Authorization": "Bearer cxm_no"})

    assert response.status_code == 401, response.content
    assert response.json()["detail"] == "Invalid or revoked token."


def test_with_a_good_token_the_content_type_is_a_415(client, make_token, db):
    headers = {"Authorization": f"Bearer {make_token('decide')}"}

    response = client.post("/api/v1/decisions", BODIES["/api/v1/decisions"], content_type="text/plain", headers=headers)

    assert response.status_code == 415
    assert not DecisionLog.objects.exists()
