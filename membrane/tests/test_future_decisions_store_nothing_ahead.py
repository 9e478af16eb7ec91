"""A decision about a future time (a campaign's start, a preview) answers what the membrane will say then
if nothing new arrives, and stores nothing ahead of now: the stored stage stays the present's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cxcore.factories import CustomerFactory, SignalFactory
from membrane.models import CustomerStage, StageTransition

pytestmark = pytest.mark.django_db

ASK = {"team": "marketing_devices", "category": "marketing", "channel": "email"}


@pytest.mark.parametrize("signals", [3, 300])
def test_a_future_decision_stores_no_stage_ahead_of_now(api, make_token, signals):
    customer = CustomerFactory(external_id="F-1", created_at=timezone.now() - dt.timedelta(days=400))
    for hours in range(1, signals + 1):
        SignalFactory(customer=customer, kind="purchase", occurred_at=timezone.now() - dt.timedelta(hours=hours))
    client = api(make_token("decide"))
    ahead = timezone.now() + dt.timedelta(days=200)

    future = client.post("/api/v1/decisions", {"customer": "F-1", **ASK, "at": ahead.isoformat()})
    asked_at = timezone.now()

    assert future.status_code == 200, future.content
    stored = CustomerStage.objects.get(customer=customer)
    assert stored.evaluated_through <= asked_at
    assert not StageTransition.objects.filter(customer=customer, at__gt=asked_at).exists()
    # Asked again, the same future answer; the present one is the stored stage's.
    again = client.post("/api/v1/decisions", {"customer": "F-1", **ASK, "at": ahead.isoformat()})
    now = client.post("/api/v1/decisions", {"customer": "F-1", **ASK})
    assert again.json()["stage"] == future.json()["stage"]
    assert now.json()["stage"] == CustomerStage.objects.get(customer=customer).stage
