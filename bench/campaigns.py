"""bench campaigns: a campaign's suppression preview over 1,000,000 customers, beside a bare SQL join.

Goal (issue 16): the preview of a campaign whose audience is everyone within 3x of a bare SQL join over the
same rows, measured in the same run: the stored facts joined with the stored stage and the customer (whose
consent and timezone the preview reads), grouped by stage and consent.

The population is bench authoring's (`<db>_authoring`, generated in SQL the first time and reused by later
runs of the same size: customers, their stored facts and stages), with its 50 published principles of the
reference size. The campaign is a marketing email of the devices marketers to everyone, starting in an
hour; the stored facts rows give the facts then, so the preview reads them as they are. The preview's
answer must add up to the bare join's (the bench refuses to report otherwise).

The population has no signals, so the caps in scope (step 3 of the decision) find no contacts to count;
`--contacts SHARE` first gives that share of the customers one to three outbound marketing emails over the
last 30 days (written straight into the signals table, as the facts rows are: the caps read the contacts
themselves), so the caps' part of the preview is measured over real contact histories.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from typing import Any

from django.db import connection
from django.utils import timezone

from cxcore.models import Category, Channel, Team
from journeys.models import Campaign
from journeys.preview import preview_compute

from .authoring import _populate, _population_ready, _use_scratch_database
from .decisions_population import publish_principles
from .registry import Benchmark, Report, median, register, require_postgresql

TARGET_RATIO = 3.0
PRINCIPLES = 50
BARE_SQL = """SELECT s.stage, c.consent ->> 'email' = 'true', count(*) FROM cxcore_customerfacts f
JOIN membrane_customerstage s ON s.customer_id = f.customer_id
JOIN cxcore_customer c ON c.id = f.customer_id
GROUP BY 1, 2"""
NAME = "bench: devices newsletter to everyone"
# bench conflicts' scheduled campaigns (same scratch database): removed first, so the preview measured is one
# campaign's, its `lost_to` arbitrated against no colliding campaign, whichever bench ran before.
CONFLICTS_PREFIX = "bench conflicts: "


def _campaign(starts_at: dt.datetime) -> Campaign:
    campaign = Campaign.objects.filter(name=NAME).first() or Campaign(
        name=NAME,
        team=Team.objects.get(key="marketing_devices"),
        category=Category.objects.get(key="marketing"),
        channel=Channel.objects.get(key="email"),
        audience="true",
    )
    campaign.starts_at, campaign.ends_at = starts_at, starts_at + dt.timedelta(days=7)
    campaign.save()
    return Campaign.objects.select_related("team", "category", "channel").get(pk=campaign.pk)


CONTACTS_SOURCE = "bench-campaigns-contacts"
CONTACTS_SQL = """INSERT INTO cxcore_signal (kind, direction, channel, team, category, occurred_at, received_at,
    ticket_ref, issue_key, severity, payload, source, idempotency_key, customer_id)
SELECT 'contact', 'out', 'email', 'marketing_services', 'marketing', t, t, '', '', '', '{}', %(source)s,
    c.id || '-' || k, c.id
FROM cxcore_customer c
CROSS JOIN LATERAL generate_series(1, 1 + (c.id %% 3)::int) AS k
CROSS JOIN LATERAL (SELECT %(now)s::timestamptz - ((c.id * 7 + k * 13) %% 720) * interval '1 hour' AS t) AS w
WHERE (c.id * 2654435761 %% 1000) < %(per_mille)s"""


def _contacts(share: float, now: dt.datetime) -> int:
    """Outbound contacts for `share` of the customers, replacing those of an earlier run. The replaced rows are
    vacuumed away before the new ones are written: left dead, each run added 600,000 of them (at 30 %) to the
    table the caps' count scans, and the preview slowed run after run (5.8 s, then 8.2 s, then 8.5 s) while the
    bare join, which reads no signal, did not."""
    # VACUUM cannot run inside a transaction (a test's run of the bench): there nothing it wrote is dead yet.
    vacuum = "" if connection.in_atomic_block else "VACUUM "
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM cxcore_signal WHERE source = %s", [CONTACTS_SOURCE])
        if vacuum:
            cursor.execute("VACUUM cxcore_signal")
        cursor.execute(CONTACTS_SQL, {"source": CONTACTS_SOURCE, "now": now, "per_mille": round(share * 1000)})
        written = cursor.rowcount
        cursor.execute(f"{vacuum}ANALYZE cxcore_signal")
    return written


def _bare() -> int:
    """The customers counted by stage and consent to email, summed."""
    with connection.cursor() as cursor:
        cursor.execute(BARE_SQL)
        return sum(n for _, _, n in cursor.fetchall())


def _timed(function) -> tuple[float, Any]:
    started = time.perf_counter()
    answer = function()
    return time.perf_counter() - started, answer


@register
class Campaigns(Benchmark):
    name = "campaigns"
    help = "A campaign's suppression preview over 1M customers (audience: everyone), beside a bare SQL join."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--customers", type=int, default=1_000_000)
        parser.add_argument("--repeat", type=int, default=3, help="timed runs of each (medians are of these)")
        parser.add_argument(
            "--contacts",
            type=float,
            default=0.0,
            help="the share of customers (0..1) given 1-3 outbound emails in the last 30 days, for the caps to count",
        )
        parser.add_argument(
            "--in-place",
            action="store_true",
            help="measure in the configured database itself (its customers replaced), not bench authoring's copy",
        )

    def run(self, *, options: dict[str, Any], report: Report) -> dict[str, Any]:
        require_postgresql(self.name)
        customers, repeat = options["customers"], options["repeat"]
        if not options["in_place"]:
            _use_scratch_database(f"{connection.settings_dict['NAME']}_authoring")
        database = connection.settings_dict["NAME"]
        now = timezone.now()
        if _population_ready(customers):
            report.line(f"database {database}: reused its {customers:,} customers, their stored facts and stages")
        else:
            seconds = _populate(customers, now)
            report.line(f"database {database}: generated {customers:,} customers, facts and stages in {seconds:.1f} s")
        written = _contacts(options["contacts"], now)
        report.line(f"{written:,} outbound contacts over the last 30 days ({options['contacts']:.0%} of the customers)")
        published = publish_principles(total=PRINCIPLES, rng=random.Random(14))
        removed, _ = Campaign.objects.filter(name__startswith=CONFLICTS_PREFIX).delete()
        if removed:
            report.line(f"removed bench conflicts' campaigns ({removed} rows): no other campaign collides")
        campaign = _campaign(now + dt.timedelta(hours=1))
        report.line(f"{published} published principles; previewing '{campaign.name}' ({campaign.audience})")
        bare, previews = [], []
        answers: dict[str, Any] = {}
        for _ in range(repeat):
            seconds, answers["bare"] = _timed(_bare)
            bare.append(seconds)
            seconds, answers["preview"] = _timed(lambda: preview_compute(campaign=campaign))
            previews.append(seconds)
        preview = answers["preview"]
        joined = answers["bare"]
        if preview["audience"] != joined:
            raise AssertionError(f"the preview's audience {preview['audience']} differs from the bare join's {joined}")
        if preview["facts_computed_at_start"]:
            raise AssertionError("the stored facts rows should give the facts an hour from now")
        base, preview_s = median(bare), median(previews)
        report.table(
            ["measure", "answer", "median s", "min s", "x bare join", f"within {TARGET_RATIO:.0f}x"],
            [
                ("bare SQL join", joined, f"{base:.3f}", f"{min(bare):.3f}", "1.00", "-"),
                (
                    "suppression preview",
                    f"{preview['suppressed']} suppressed",
                    f"{preview_s:.3f}",
                    f"{min(previews):.3f}",
                    f"{preview_s / base:.2f}",
                    "yes" if preview_s <= TARGET_RATIO * base else "NO",
                ),
            ],
        )
        report.line(
            f"preview: {preview['allowed']:,} allowed, {preview['suppressed']:,} suppressed, "
            f"{len(preview['by_principle'])} deciding principles (consent and none included)"
        )
        return {
            "customers": customers,
            "contacts": written,
            "principles": published,
            "repeat": repeat,
            "audience": preview["audience"],
            "suppressed": preview["suppressed"],
            "bare_join_s": round(base, 4),
            "preview_s": round(preview_s, 4),
            "preview_ratio": round(preview_s / base, 2),
            "target_ratio": TARGET_RATIO,
        }
