"""The set-based impact preview agrees with deciding customer by customer through the decision engine,
before the version (the published set) and after it (the version published, or its principle retired)."""

from __future__ import annotations

import random
from collections import defaultdict
from itertools import product

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxcore.defaults import CATEGORIES, CHANNELS, TEAMS
from cxcore.models import Customer
from membrane.decisions.engine import decide, ruleset_get
from membrane.decisions.facts import customer_row
from membrane.decisions.values import DecisionInputs
from membrane.models import CustomerStage
from membrane.principles import services
from membrane.principles.impact import version_impact
from membrane.runs.services import stages_evaluate_all
from membrane.stages.facts import stored_stage_facts

from .principles_support import draft, publish
from .stage_helpers import NOW
from .test_actions_set_based_agreement import random_customer

CONDITIONS = [
    'stage == "crisis"',
    'stage in ["crisis", "at_risk"] and open_tickets > 0',
    "open_tickets == 0",
    "tickets_resolved_30d > 0 or purchases_90d >= 1",
    'stage != "loyal"',
    "local_hour >= 12",
    'channel == "sms" or team == "sales"',
    "true",
]
SCOPES = st.fixed_dictionaries(
    {
        "categories": st.lists(st.sampled_from(["marketing", "survey", "service_update"]), max_size=2, unique=True),
        "channels": st.lists(st.sampled_from(["email", "sms"]), max_size=1, unique=True),
        "teams": st.lists(st.sampled_from(["sales", "service"]), max_size=1, unique=True),
    }
)
PRINCIPLE = st.fixed_dictionaries(
    {
        "condition": st.sampled_from(CONDITIONS),
        "effect": st.sampled_from(["suppress", "allow", "suppress", "prescribe"]),
        "priority": st.sampled_from([0, 50, 100]),
        "scope": SCOPES,
    }
)
COMBOS = list(product(sorted(TEAMS), sorted(CATEGORIES), sorted(CHANNELS)))


@pytest.fixture
def population(db):
    rng = random.Random(15)
    for n in range(12):
        random_customer(rng, f"imp-{n}")
    for n, customer in enumerate(Customer.objects.order_by("pk")):
        customer.consent = {"email": n % 3 != 0, "sms": n % 2 == 0}
        customer.timezone = ["UTC", "Asia/Tokyo", "America/Los_Angeles"][n % 3]
        customer.save(update_fields=["consent", "timezone"])
    stages_evaluate_all(as_of=NOW, chunk_size=5)


def _fields(spec: dict, n: int) -> dict:
    params = {}
    if spec["effect"] == "prescribe":
        params = {"action": ["agent_contact", "service_credit"][n % 2], "team": "service", "due_hours": 8}
    return {
        "condition": spec["condition"],
        "effect": spec["effect"],
        "params": params,
        "priority": spec["priority"],
        "examples": [],
        **(spec["scope"] if spec["effect"] != "prescribe" else {"categories": [], "channels": [], "teams": []}),
    }


def _decided() -> tuple[dict, dict]:
    """Per customer: the verdict of every (team, category, channel), and the actions prescribed; caps left
    out (no contact history), as the preview leaves them. What bringing customers up to NOW writes is undone.

    The stage facts are the stored stage's, which the preview reads: for two of these customers the full
    run's stage at NOW and the event-time replay's differ (a disagreement of the stage paths, outside this
    test's subject, reported in issue 14), and this test is about the verdicts.
    """
    ruleset = ruleset_get()
    verdicts, actions = {}, {}
    stored = {state.customer_id: stored_stage_facts(state, at=NOW) for state in CustomerStage.objects.all()}
    with transaction.atomic():
        for customer in Customer.objects.order_by("pk"):
            row, _ = customer_row(inputs=DecisionInputs(customer), at=NOW)
            row.update(stored[customer.pk])
            for team, category, channel in COMBOS:
                row.update(team=team, category=category, channel=channel)
                answer = decide(
                    ruleset,
                    row,
                    team=team,
                    category=category,
                    channel=channel,
                    at=NOW,
                    consent_required=CATEGORIES[category][1],
                    consented=customer.has_consent(channel),
                    contacts=lambda cap: [],
                )
                verdicts[(customer.external_id, team, category, channel)] = answer.verdict
            row.update(team=None, category=None, channel=None)
            answer = decide(
                ruleset,
                row,
                team="",
                category="",
                channel="",
                at=NOW,
                consent_required=False,
                consented=True,
                contacts=lambda cap: [],
            )
            actions[customer.external_id] = {(a["kind"], a["team"], a["principle"]) for a in answer.actions}
        transaction.set_rollback(True)
    return verdicts, actions


def _expected(before, after, slug: str, before_actions, after_actions) -> tuple[dict, dict]:
    changes: dict[tuple, dict[str, set]] = defaultdict(lambda: {"allow_to_suppress": set(), "suppress_to_allow": set()})
    for (customer, _team, category, channel), was in before.items():
        will = after[(customer, _team, category, channel)]
        if was != will:
            changes[(category, channel)][f"{was}_to_{will}"].add(customer)
    actions: dict[tuple, dict[str, int]] = defaultdict(lambda: {"gained": 0, "lost": 0})
    for customer in before_actions:
        was = {(kind, team) for kind, team, principle in before_actions[customer] if principle == slug}
        will = {(kind, team) for kind, team, principle in after_actions[customer] if principle == slug}
        for key in will - was:
            actions[key]["gained"] += 1
        for key in was - will:
            actions[key]["lost"] += 1
    return changes, actions


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    published=st.lists(PRINCIPLE, min_size=1, max_size=4),
    change=PRINCIPLE,
    mode=st.sampled_from(["replace", "new", "retire"]),
)
def test_the_preview_agrees_with_the_engine_before_and_after(
    population, cx_manager, service_manager, published, change, mode
):
    with transaction.atomic():
        versions = []
        for n, spec in enumerate(published):
            versions.append(publish(draft(cx_manager, **_fields(spec, n)), author=cx_manager, reviewer=service_manager))
        target = versions[0]
        if mode == "new":
            version = draft(cx_manager, **_fields(change, 7))
        elif mode == "replace":
            version = services.principle_version_draft_from_latest(
                principle=target.principle, actor=cx_manager, **_fields(change, 7)
            )
        else:
            version = target
        impact = version_impact(version=version, at=NOW, retire=mode == "retire")
        before, before_actions = _decided()
        if mode == "retire":
            services.principle_version_retire(version=target, actor=cx_manager)
        else:
            publish(version, author=cx_manager, reviewer=service_manager)
        after, after_actions = _decided()
        transaction.set_rollback(True)

    changes, actions = _expected(before, after, version.principle.slug, before_actions, after_actions)
    assert impact["customers"] == Customer.objects.count()
    assert impact["campaigns"] == []
    found = {(c["category"], c["channel"]): c for c in impact["changes"]}
    assert set(found) == set(changes)
    for pair, expected in changes.items():
        assert found[pair]["allow_to_suppress"] == len(expected["allow_to_suppress"])
        assert found[pair]["suppress_to_allow"] == len(expected["suppress_to_allow"])
        changed = expected["allow_to_suppress"] | expected["suppress_to_allow"]
        assert found[pair]["examples"] and set(found[pair]["examples"]) <= changed
    got_actions = {(a["action"], a["team"]): {"gained": a["gained"], "lost": a["lost"]} for a in impact["actions"]}
    assert {k: v for k, v in got_actions.items() if v["gained"] or v["lost"]} == dict(actions)
