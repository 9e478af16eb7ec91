"""End to end through the API: a principle written, reviewed and published by two CX managers decides the next
decision; a later version changes the answer; a rollback to the first makes the decision follow it again."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from cxcore.factories import CustomerFactory, SignalFactory
from membrane.tests.principle_api_support import URL, Console, principle_body, version_url

UPSELL = {"customer": "M-1", "team": "marketing_devices", "category": "upsell", "channel": "email"}


def test_decisions_follow_the_published_version_and_the_rollback(api, make_token, cx_manager, service_manager):
    customer = CustomerFactory(external_id="M-1", consent={"email": True})
    SignalFactory(
        customer=customer,
        kind="ticket_opened",
        ticket_ref="T1",
        issue_key="terminal",
        occurred_at=timezone.now() - dt.timedelta(days=2),
    )
    decider = api(make_token("decide"))

    def decided_by():
        answer = decider.post("/api/v1/decisions", UPSELL)
        assert answer.status_code == 200
        return answer.json()["verdict"], answer.json()["decided_by"]

    def publish(number):
        assert carla.post(version_url(slug, number, "submit")).status_code == 200
        assert sven.post(version_url(slug, number, "approve")).status_code == 200
        assert carla.post(version_url(slug, number, "publish")).status_code == 200

    carla, sven = Console(cx_manager), Console(service_manager)
    assert decided_by() == ("suppress", {"principle": "no-offers-in-crisis", "version": 1})

    slug = "upsell-a-fix-in-crisis"
    example = {
        "name": "a customer in crisis may hear of the fix",
        "facts": {"stage": "crisis", "days_in_stage": 2},
        "interaction": {"team": "marketing_devices", "category": "upsell", "channel": "email"},
        "expect_match": True,
    }
    created = carla.post(
        URL,
        principle_body(
            slug=slug, categories=["upsell"], effect="allow", priority=300, examples=[example], change_note="v1"
        ),
    )
    assert created.status_code == 201
    publish(1)
    assert decided_by() == ("allow", {"principle": slug, "version": 1})

    later = {**example, "name": "only after a month in crisis", "expect_match": False}
    v2 = carla.post(
        f"{URL}/{slug}/versions",
        {"condition": 'stage == "crisis" and days_in_stage > 30', "examples": [later], "change_note": "stricter"},
    )
    assert v2.status_code == 201 and v2.json()["number"] == 2
    publish(2)
    assert decided_by() == ("suppress", {"principle": "no-offers-in-crisis", "version": 1})

    rolled_back = carla.post(version_url(slug, 1, "rollback"))
    assert rolled_back.status_code == 201 and rolled_back.json()["number"] == 3
    assert decided_by() == ("allow", {"principle": slug, "version": 3})

    versions = carla.get(f"{URL}/{slug}").json()["versions"]
    assert [(v["number"], v["status"]) for v in versions] == [(3, "published"), (2, "superseded"), (1, "superseded")]
    assert versions[0]["condition"] == 'stage == "crisis"' and versions[0]["approver"] == "sven"
