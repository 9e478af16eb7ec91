"""The default stage model, published as stage rules v1 (docs/stages.md tells the same story).

First matching rule wins; `stage` in a rule is the stage held before the evaluation.

1. crisis   — a problem is open: ``open_tickets > 0``. The reference story's merchant is in crisis
   while a ticket about the terminal is open, and for as long as it stays open.
2. at_risk  — after a resolved problem that recurred: the customer was in crisis (or already at
   risk), nothing is open now, and one issue recurred at least twice in 90 days. They leave
   at_risk when the recurrence ages out of the 90-day window.
3. dormant  — no purchase for more than 180 days, or none ever after more than 180 days of tenure.
4. loyal    — at least 3 purchases in 90 days, or a purchase in 90 days after a year of tenure.
5. active   — a purchase in the last 180 days.
default: onboarding — new customers who have not bought yet.
"""

from django.db import migrations
from django.utils import timezone

STAGES = [
    ("onboarding", "Onboarding", "New customer who has not bought yet.", "#6c8ebf", 1),
    ("active", "Active", "Buys from us: a purchase in the last 180 days.", "#4caf50", 2),
    ("loyal", "Loyal", "Buys often, or keeps buying after a year.", "#2e7d32", 3),
    ("crisis", "Crisis", "A problem is open: a ticket has not been resolved.", "#d32f2f", 4),
    ("at_risk", "At risk", "A recurring problem was resolved; it may recur and the customer may leave.", "#f57c00", 5),
    ("dormant", "Dormant", "No purchase for more than 180 days.", "#9e9e9e", 6),
]

RULES = [
    ("crisis", "open_tickets > 0", "Crisis while a problem is open."),
    (
        "at_risk",
        'stage in ["crisis", "at_risk"] and open_tickets == 0 and max_issue_recurrence_90d >= 2',
        "After a resolved problem that recurred; ends when the recurrence ages out of 90 days.",
    ),
    (
        "dormant",
        "days_since_last_purchase > 180 or (days_since_last_purchase == null and tenure_days > 180)",
        "Nothing bought for half a year.",
    ),
    (
        "loyal",
        "purchases_90d >= 3 or (tenure_days >= 365 and purchases_90d >= 1)",
        "Buys often, or still buys after a year.",
    ),
    ("active", "days_since_last_purchase <= 180", "Bought in the last half year."),
]


def seed(apps, schema_editor):
    StageDefinition = apps.get_model("membrane", "StageDefinition")
    StageRuleSet = apps.get_model("membrane", "StageRuleSet")
    StageRule = apps.get_model("membrane", "StageRule")
    for key, name, description, color, order in STAGES:
        StageDefinition.objects.get_or_create(
            key=key, defaults={"name": name, "description": description, "color": color, "order": order}
        )
    if StageRuleSet.objects.exists():
        return
    ruleset = StageRuleSet.objects.create(
        number=1,
        status="published",
        default_stage="onboarding",
        change_note="The default stage model.",
        published_at=timezone.now(),
    )
    for position, (stage, condition, note) in enumerate(RULES, start=1):
        StageRule.objects.create(ruleset=ruleset, position=position, stage=stage, condition=condition, note=note)


class Migration(migrations.Migration):
    dependencies = [("membrane", "0001_stages")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
