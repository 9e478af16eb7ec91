"""The reference story's principles (DESIGN.md section 13), published, so the API decides by them from the start.

They are written as a CX manager would write them in the console, with examples; a test runs every
published version's examples against the compiled conditions.
"""

from django.db import migrations
from django.utils import timezone

CRISIS = {"stage": "crisis", "days_in_stage": 2}
AT_RISK = {"stage": "at_risk", "days_in_stage": 3}
ACTIVE = {"stage": "active", "days_in_stage": 40}


def _ask(category, team="marketing_devices", channel="email"):
    return {"team": team, "category": category, "channel": channel}


PRINCIPLES = [
    {
        "slug": "no-offers-in-crisis",
        "title": "No marketing or sales offers during a crisis",
        "rationale": (
            "A customer whose problem is still open does not want to hear about our new services or hardware. "
            "Marketing, sales offers and upsell wait until the problem is solved."
        ),
        "categories": ["marketing", "sales_offer", "upsell"],
        "condition": 'stage == "crisis"',
        "effect": "suppress",
        "params": {},
        "priority": 100,
        "examples": [
            {"name": "no upsell in crisis", "facts": CRISIS, "interaction": _ask("upsell"), "expect_verdict": "suppress"},
            {"name": "marketing when active", "facts": ACTIVE, "interaction": _ask("marketing"), "expect_verdict": "allow"},
            {"name": "service updates go on", "facts": CRISIS, "interaction": _ask("service_update", "service"), "expect_match": False},
        ],
    },
    {
        "slug": "no-survey-before-eta",
        "title": "No satisfaction survey until the customer has an ETA",
        "rationale": "Asking how satisfied a customer is before we can even say when the problem will be fixed is rude.",
        "categories": ["survey"],
        "condition": "open_tickets > 0 and not eta_given",
        "effect": "suppress",
        "params": {},
        "priority": 100,
        "examples": [
            {"name": "open ticket without ETA", "facts": {"open_tickets": 1, "eta_given": False}, "interaction": _ask("survey", "research"), "expect_verdict": "suppress"},
            {"name": "ETA given", "facts": {"open_tickets": 1, "eta_given": True}, "interaction": _ask("survey", "research"), "expect_verdict": "allow"},
            {"name": "nothing open", "facts": {"open_tickets": 0, "eta_given": True}, "interaction": _ask("survey", "research"), "expect_match": False},
        ],
    },
    {
        "slug": "free-service-after-three-days-in-crisis",
        "title": "Free service after more than three days in crisis",
        "rationale": "When a problem has lasted more than three days, we offer the customer a free service.",
        "categories": [],
        "condition": 'stage == "crisis" and days_in_stage > 3',
        "effect": "prescribe",
        "params": {"action": "offer_free_service", "team": "service", "due_hours": 24, "repeat_days": None},
        "priority": 0,
        "examples": [
            {"name": "fourth day in crisis", "facts": {"stage": "crisis", "days_in_stage": 4}, "expect_match": True},
            {"name": "third day in crisis", "facts": {"stage": "crisis", "days_in_stage": 3}, "expect_match": False},
        ],
    },
    {
        "slug": "agent-contact-after-recurrences",
        "title": "An agent calls after more than three recurrences",
        "rationale": "When the same problem keeps coming back, a person calls the customer instead of another ticket reply.",
        "categories": [],
        "condition": "max_issue_recurrence_90d > 3",
        "effect": "prescribe",
        "params": {"action": "agent_contact", "team": "service", "due_hours": 24, "repeat_days": None},
        "priority": 0,
        "examples": [
            {"name": "fourth occurrence", "facts": {"max_issue_recurrence_90d": 4}, "expect_match": True},
            {"name": "third occurrence", "facts": {"max_issue_recurrence_90d": 3}, "expect_match": False},
        ],
    },
    {
        "slug": "at-risk-hardware-upsell",
        "title": "At risk: offers of new hardware are welcome",
        "rationale": (
            "Once the problem is solved, the customer may leave because it may come back on the same device: "
            "an offer of new hardware is welcome, above any generic restriction of upsell."
        ),
        "categories": ["upsell"],
        "condition": 'stage == "at_risk"',
        "effect": "allow",
        "params": {},
        "priority": 200,
        "examples": [
            {"name": "upsell when at risk", "facts": AT_RISK, "interaction": _ask("upsell"), "expect_verdict": "allow"},
            {"name": "not for marketing", "facts": AT_RISK, "interaction": _ask("marketing"), "expect_match": False},
        ],
    },
    {
        "slug": "at-risk-one-upsell-a-month",
        "title": "At risk: at most one upsell a month",
        "rationale": "A customer at risk hears about new hardware at most once a month, whichever team asks.",
        "categories": ["upsell"],
        "condition": 'stage == "at_risk"',
        "effect": "cap",
        "params": {"n": 1, "days": 30},
        "priority": 200,
        "examples": [
            {"name": "first upsell of the month", "facts": AT_RISK, "interaction": _ask("upsell"), "contacts": 0, "expect_verdict": "allow"},
            {"name": "second upsell of the month", "facts": AT_RISK, "interaction": _ask("upsell"), "contacts": 1, "expect_verdict": "suppress"},
        ],
    },
    {
        "slug": "at-risk-monthly-service-credit",
        "title": "At risk: a monthly service credit",
        "rationale": "While the customer is at risk, service grants a credit every month.",
        "categories": [],
        "condition": 'stage == "at_risk"',
        "effect": "prescribe",
        "params": {"action": "service_credit", "team": "service", "due_hours": 72, "repeat_days": 30},
        "priority": 0,
        "examples": [
            {"name": "at risk", "facts": AT_RISK, "expect_match": True},
            {"name": "in crisis", "facts": CRISIS, "expect_match": False},
        ],
    },
]


def publish(apps, schema_editor):
    Team = apps.get_model("cxcore", "Team")
    Principle = apps.get_model("membrane", "Principle")
    PrincipleVersion = apps.get_model("membrane", "PrincipleVersion")
    PrincipleAudit = apps.get_model("membrane", "PrincipleAudit")
    owner = Team.objects.get(key="cx")
    now = timezone.now()
    for spec in PRINCIPLES:
        if Principle.objects.filter(slug=spec["slug"]).exists():
            continue
        principle = Principle.objects.create(slug=spec["slug"], title=spec["title"], rationale=spec["rationale"], team=owner)
        version = PrincipleVersion.objects.create(
            principle=principle,
            number=1,
            categories=spec["categories"],
            channels=[],
            teams=[],
            condition=spec["condition"],
            effect=spec["effect"],
            params=spec["params"],
            priority=spec["priority"],
            examples=spec["examples"],
            change_note="The reference story's principle, published with the product.",
            status="published",
            submitted_at=now,
            approved_at=now,
            published_at=now,
        )
        PrincipleAudit.objects.create(principle=principle, version=version, action="publish", at=now, comment="seeded")


def unpublish(apps, schema_editor):
    Principle = apps.get_model("membrane", "Principle")
    Principle.objects.filter(slug__in=[spec["slug"] for spec in PRINCIPLES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cxcore", "0002_default_vocabularies"),
        ("membrane", "0002_default_stage_model"),
        ("membrane", "0003_principles_decisions"),
    ]
    operations = [migrations.RunPython(publish, unpublish)]
