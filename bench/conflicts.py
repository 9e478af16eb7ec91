"""bench conflicts: the conflicts between 20 scheduled campaigns over 1,000,000 customers, beside a bare SQL join.

Goal (issue 16): within 5x of a bare SQL join over the same rows, measured in the same run (the stored facts
joined with the stored stage and the customer, grouped by stage and consent: what the conflicts' one pass
reads). The population is bench authoring's (`<db>_authoring`, generated in SQL the first time and reused),
with its 50 published principles of the reference size, as bench campaigns uses. The 20 campaigns are the five
marketing, sales and research teams' over the next six weeks, with audiences over the facts and the stage,
so their windows overlap, their audiences intersect, the principles suppress parts of them and the reference
cap's upsells meet it: every kind of conflict is found.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from typing import Any

from django.db import connection
from django.utils import timezone

from cxcore.models import Category, Channel, Team
from journeys.conflicts import KINDS, conflicts_find
from journeys.models import Campaign, CampaignStatus

from .authoring import _populate, _population_ready, _use_scratch_database
from .campaigns import BARE_SQL
from .campaigns import CONFLICTS_PREFIX as PREFIX
from .decisions_population import publish_principles
from .registry import Benchmark, Report, median, register, require_postgresql

TARGET_RATIO = 5.0
PRINCIPLES = 50
CAMPAIGNS = 20
TEAMS = ("marketing_devices", "marketing_services", "sales", "research")
CATEGORIES = ("marketing", "upsell", "sales_offer", "survey", "service_update")
CHANNELS = ("email", "sms", "push")
AUDIENCES = (
    "true",
    'stage == "loyal"',
    'stage in ["at_risk", "dormant"]',
    "purchases_90d > 0",
    "open_tickets > 0 or complaints_30d > 0",
    "lifetime_value > 500",
    'segment == "smb"',
    "days_since_last_contact == null or days_since_last_contact > 14",
)


def _campaigns(now: dt.datetime, rng: random.Random) -> list[Campaign]:
    Campaign.objects.filter(name__startswith=PREFIX).delete()
    teams = {t.key: t for t in Team.objects.filter(key__in=TEAMS)}
    categories = {c.key: c for c in Category.objects.filter(key__in=CATEGORIES)}
    channels = {c.key: c for c in Channel.objects.filter(key__in=CHANNELS)}
    for n in range(CAMPAIGNS):
        starts_at = now + dt.timedelta(hours=1, days=rng.randint(0, 35))
        Campaign.objects.create(
            name=f"{PREFIX}{n + 1}",
            team=teams[rng.choice(TEAMS)],
            category=categories[rng.choice(CATEGORIES)],
            channel=channels[rng.choice(CHANNELS)],
            audience=rng.choice(AUDIENCES),
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(days=rng.randint(3, 21)),
            touches=rng.randint(1, 3),
            priority=rng.randint(0, 30),
            status=CampaignStatus.SCHEDULED,
        )
    return list(
        Campaign.objects.filter(name__startswith=PREFIX).select_related("team", "category", "channel").order_by("pk")
    )


def _bare() -> int:
    with connection.cursor() as cursor:
        cursor.execute(BARE_SQL)
        return sum(n for _, _, n in cursor.fetchall())


def _timed(function) -> tuple[float, Any]:
    started = time.perf_counter()
    answer = function()
    return time.perf_counter() - started, answer


@register
class Conflicts(Benchmark):
    name = "conflicts"
    help = "The conflicts between 20 scheduled campaigns over 1M customers, beside a bare SQL join."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--customers", type=int, default=1_000_000)
        parser.add_argument("--repeat", type=int, default=3, help="timed runs of each (medians are of these)")

    def run(self, *, options: dict[str, Any], report: Report) -> dict[str, Any]:
        require_postgresql(self.name)
        customers, repeat = options["customers"], options["repeat"]
        _use_scratch_database(f"{connection.settings_dict['NAME']}_authoring")
        database = connection.settings_dict["NAME"]
        now = timezone.now()
        if _population_ready(customers):
            report.line(f"database {database}: reused its {customers:,} customers, their stored facts and stages")
        else:
            seconds = _populate(customers, now)
            report.line(f"database {database}: generated {customers:,} customers, facts and stages in {seconds:.1f} s")
        published = publish_principles(total=PRINCIPLES, rng=random.Random(14))
        campaigns = _campaigns(now, random.Random(16))
        report.line(f"{published} published principles; {len(campaigns)} scheduled campaigns over six weeks")
        bare, passes = [], []
        answers: dict[str, Any] = {}
        for _ in range(repeat):
            seconds, answers["bare"] = _timed(_bare)
            bare.append(seconds)
            # A time of its own: every count from the pass, none from a kept preview.
            seconds, answers["conflicts"] = _timed(lambda: conflicts_find(campaigns=campaigns, at=now))
            passes.append(seconds)
        found = answers["conflicts"]
        base, pass_s = median(bare), median(passes)
        by_kind = {kind: sum(1 for c in found if c.kind == kind) for kind in KINDS}
        report.table(
            ["measure", "answer", "median s", "min s", "x bare join", f"within {TARGET_RATIO:.0f}x"],
            [
                ("bare SQL join", f"{answers['bare']:,} rows", f"{base:.3f}", f"{min(bare):.3f}", "1.00", "-"),
                (
                    f"conflicts of {len(campaigns)} campaigns",
                    ", ".join(f"{n} {kind}" for kind, n in by_kind.items()),
                    f"{pass_s:.3f}",
                    f"{min(passes):.3f}",
                    f"{pass_s / base:.2f}",
                    "yes" if pass_s <= TARGET_RATIO * base else "NO",
                ),
            ],
        )
        return {
            "customers": customers,
            "principles": published,
            "campaigns": len(campaigns),
            "repeat": repeat,
            "conflicts": by_kind,
            "bare_join_s": round(base, 4),
            "conflicts_s": round(pass_s, 4),
            "conflicts_ratio": round(pass_s / base, 2),
            "target_ratio": TARGET_RATIO,
        }
