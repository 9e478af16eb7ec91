"""The world the permissions matrix is tried in: one of each object a URL names, and each caller."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from cxcore.factories import CustomerFactory, make_user
from cxcore.models import ApiToken, Category, Channel, Team, User
from journeys.models import Campaign
from membrane.models import AgentTask, DecisionLog, EvaluationRun, Principle, StageRuleSet

PERSONAS = (
    "anonymous",
    "agent",
    "marketer",
    "cx_manager",
    "admin",
    "token:ingest",
    "token:decide",
    "token:read",
    "token:campaigns",
)
ROLES = {
    "agent": ("anna", "agent", "service"),
    "marketer": ("mark", "marketer", "marketing_devices"),
    "cx_manager": ("carla", "cx_manager", "cx"),
    "admin": ("root", "admin", "cx"),
}


def build_world() -> dict:
    customer = CustomerFactory(external_id="M-1")
    principle = Principle.objects.order_by("pk").first()
    version = principle.versions.order_by("-number").first()
    team = Team.objects.get(key="marketing_devices")
    starts = timezone.now() + dt.timedelta(days=7)
    campaign = Campaign.objects.create(
        name="Spring terminals",
        team=team,
        category=Category.objects.get(key="marketing"),
        channel=Channel.objects.get(key="email"),
        audience="true",
        starts_at=starts,
        ends_at=starts + dt.timedelta(days=14),
    )
    run = EvaluationRun.objects.create(kind="full", as_of=timezone.now(), started_at=timezone.now())
    task = AgentTask.objects.create(
        customer=customer,
        principle=principle,
        version=version,
        kind="agent_contact",
        team="service",
        opened_at=timezone.now(),
        due_at=timezone.now(),
    )
    decision = DecisionLog.objects.create(
        customer=customer,
        team="marketing_devices",
        category="marketing",
        channel="email",
        at=timezone.now(),
        decided_at=timezone.now(),
        verdict="allow",
        reason="Nothing matched.",
    )
    rules = StageRuleSet.objects.order_by("-number").first()
    return {
        "external_id": customer.external_id,
        "slug": principle.slug,
        "number": version.number,
        "pk": campaign.pk,
        "run": run.pk,
        "task": task.pk,
        "decision_id": decision.decision_id,
        "key": "crisis",
        "rules_number": rules.number if rules else 1,
    }


def caller(persona: str) -> tuple[Client, dict]:
    """A client and the headers it sends as `persona`."""
    client = Client()
    if persona.startswith("token:"):
        key = ApiToken.generate_key()
        ApiToken.objects.create(
            name=persona, key_hash=ApiToken.hash_key(key), prefix=key[:8], scopes=[persona.split(":")[1]]
        )
        return client, {"Authorization": f"Bearer {key}"}
    if persona in ROLES:
        username, role, team = ROLES[persona]
        user = User.objects.filter(username=username).first() or make_user(username, role=role, team=team)
        client.force_login(user)
    return client, {}
