"""A campaign's preview names, for every audience member, the verdict and the deciding principle (and the
reason) that POST /api/v1/decisions/batch answers for them at the campaign's start: on random customers,
principles and campaigns, with starts from the last evaluation run's time up to 364 days ahead (windowed counts expiring
on the way)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from cxcore.models import Category, Channel, Customer, Team
from journeys.models import Campaign
from journeys.preview import preview_compute, preview_members
from membrane.runs.services import stages_evaluate_all, stages_evaluate_changed
from membrane.tests.principles_support import draft, publish
from membrane.tests.stage_helpers import NOW
from membrane.tests.test_actions_set_based_agreement import random_customer

BATCH = "/api/v1/decisions/batch"
CONDITIONS = [
    'stage == "crisis"',
    'stage in ["crisis", "at_risk"] and open_tickets > 0',
    "open_tickets == 0",
    "tickets_resolved_30d > 0 or purchases_90d >= 1",
    "days_since_last_purchase > 30",
    'stage != "loyal" and days_in_stage >= 20',
    "local_hour >= 12",
    'channel == "sms" or team == "sales"',
    "true",
]
AUDIENCES = ["true", "open_tickets >= 1", 'stage != "crisis"', "purchases_90d == 0 or tenure_days > 100"]
PRINCIPLE = st.fixed_dictionaries(
    {
        "condition": st.sampled_from(CONDITIONS),
        "effect": st.sampled_from(["suppress", "allow", "suppress", "prescribe", "cap"]),
        "priority": st.sampled_from([0, 50, 100]),
        "categories": st.lists(st.sampled_from(["marketing", "survey", "service_update"]), max_size=2, unique=True),
        "channels": st.lists(st.sampled_from(["email", "sms"]), max_size=1, unique=True),
        "teams": st.lists(st.sampled_from(["sales", "marketing_devices"]), max_size=1, unique=True),
    }
)
CAMPAIGN = st.fixed_dictionaries(
    {
        "team_id": st.sampled_from(["sales", "marketing_devices", "research"]),
        "category_id": st.sampled_from(["marketing", "survey", "service_update"]),
        "channel_id": st.sampled_from(["email", "sms"]),
        "audience": st.sampled_from(AUDIENCES),
        "hours": st.sampled_from([0, 7, 5 * 24 + 3, 40 * 24, 200 * 24, 364 * 24]),
    }
)


@pytest.fixture
def population(db):
    rng = random.Random(16)
    with time_machine.travel(NOW, tick=False):
        for n in range(14):
            random_customer(rng, f"pre-{n}")
        for n, customer in enumerate(Customer.objects.order_by("pk")):
            customer.consent = {"email": n % 3 != 0, "sms": n % 2 == 0}
            customer.timezone = ["UTC", "Asia/Tokyo", "America/Los_Angeles"][n % 3]
            customer.save(update_fields=["consent", "timezone"])
        # The stages as the event-time path keeps them (since when, not since the run found them), then the
        # daily run's facts rows.
        stages_evaluate_changed(at=NOW)
        stages_evaluate_all(as_of=NOW, chunk_size=5)


def _fields(spec: dict, n: int) -> dict:
    fields = {k: spec[k] for k in ("condition", "effect", "priority", "categories", "channels", "teams")}
    fields.update(examples=[], title=f"Principle {n}: {spec['condition']}")
    if spec["effect"] == "prescribe":
        fields.update(categories=[], channels=[], teams=[])
        fields["params"] = {"action": "agent_contact", "team": "service", "due_hours": 8}
    elif spec["effect"] == "cap":
        # These customers have no outbound contacts: a cap holds back none of them, in the API as in the preview.
        fields["params"] = {"n": 1, "days": 7}
    return fields


@settings(
    max_examples=15,
    deadline=None,
    # Shrinking a failure re-creates principles for minutes: the failing example as found says enough.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(published=st.lists(PRINCIPLE, min_size=0, max_size=4), spec=CAMPAIGN)
def test_every_members_verdict_and_deciding_principle_are_the_decision_apis(
    population, cx_manager, service_manager, api, make_token, published, spec
):
    token = make_token("decide")
    with time_machine.travel(NOW, tick=False), transaction.atomic():
        for n, principle in enumerate(published):
            publish(draft(cx_manager, **_fields(principle, n)), author=cx_manager, reviewer=service_manager)
        starts_at = NOW + dt.timedelta(hours=spec["hours"])
        campaign = Campaign.objects.create(
            name="Preview",
            team=Team.objects.get(key=spec["team_id"]),
            category=Category.objects.get(key=spec["category_id"]),
            channel=Channel.objects.get(key=spec["channel_id"]),
            audience=spec["audience"],
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(days=3),
        )
        members = list(preview_members(campaign=campaign))
        summary = preview_compute(campaign=campaign)
        questions = [
            {
                "customer": m["customer"],
                "team": spec["team_id"],
                "category": spec["category_id"],
                "channel": spec["channel_id"],
                "at": starts_at.isoformat(),
            }
            for m in members
        ]
        response = api(token).post(BATCH, {"decisions": questions}) if questions else None
        transaction.set_rollback(True)

    answers = response.json()["results"] if response is not None else []
    assert [(m["customer"], m["verdict"], m["decided_by"]) for m in members] == [
        (q["customer"], a["verdict"], a["decided_by"]) for q, a in zip(questions, answers, strict=True)
    ]
    assert [m["reason"] for m in members] == [a["reason"] for a in answers]
    assert summary["audience"] == len(members)
    assert summary["suppressed"] == sum(m["verdict"] == "suppress" for m in members)
    assert sum(row["customers"] for row in summary["by_principle"]) == len(members)
