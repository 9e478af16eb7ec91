"""The stages as the Stages page and GET /api/v1/stages show them: one overview, the same for both."""

from __future__ import annotations

from django.urls import reverse

from cxcore.facts.catalogue import CXCORE_FACTS
from membrane.runs.services import stages_evaluate_all

from .stage_helpers import DAY, NOW, ingest, publish_rules, ticket


def test_the_api_gives_stages_rules_versions_and_facts(api, make_token, db):
    ingest("m1", "purchase", NOW - 3 * DAY, amount="20.00")
    ticket("m2", "T1", NOW - DAY)
    stages_evaluate_all(as_of=NOW)

    body = api(make_token("read")).get("/api/v1/stages").json()

    counts = {stage["key"]: stage["customers"] for stage in body["stages"]}
    assert (counts["crisis"], counts["active"], counts["loyal"]) == (1, 1, 0)
    rules = body["rules"]
    assert (rules["number"], rules["status"], rules["default_stage"]) == (1, "published", "onboarding")
    assert rules["rules"][0] == {
        "position": 1,
        "stage": "crisis",
        "condition": "open_tickets > 0",
        "note": "Crisis while a problem is open.",
    }
    assert [rule["position"] for rule in rules["rules"]] == list(range(1, len(rules["rules"]) + 1))
    facts = {fact["name"]: fact for fact in body["facts"]}
    assert {"stage", "days_in_stage", *(fact.name for fact in CXCORE_FACTS)} <= set(facts)
    assert facts["open_tickets"]["type"] == "int" and facts["open_tickets"]["description"]


def test_other_versions_are_listed_and_the_scope_is_read(api, make_token, db):
    publish_rules([("crisis", "open_tickets > 0")], default="calm")

    assert api(None).get("/api/v1/stages").status_code == 401
    assert api(make_token("ingest")).get("/api/v1/stages").status_code == 403
    body = api(make_token("read")).get("/api/v1/stages").json()

    assert (body["rules"]["number"], body["rules"]["default_stage"]) == (2, "calm")
    assert [(v["number"], v["status"], v["rule_count"]) for v in body["other_versions"]] == [(1, "superseded", 5)]


def test_the_page_lists_the_facts_a_rule_can_read(client, agent):
    client.force_login(agent)

    page = client.get(reverse("stages")).content.decode()

    assert 'data-testid="fact-days_since_last_purchase"' in page
    assert "every comparison with it is false" in page
