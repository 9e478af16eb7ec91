"""bench authoring: the principle editor's live match count and a version's impact preview, beside a bare count.

Goal (issue 14): each under 2 s over 1,000,000 customers. The baseline is a bare SQL count of the same
condition over the same rows (the stored facts joined with the stored stage), measured in the same run.

The population lives in a scratch database of its own (`<db>_authoring`, created beside the one
DATABASE_URL names, and migrated), generated in SQL (generate_series) the first time and reused by
later runs of the same size: customers (segments, regions, timezones, consent per channel), their
stored facts (CustomerFacts) and stored stages, with realistic spreads (most customers calm, a few
percent in crisis, open tickets rare). The published set is 50 principles of the reference size
(bench decisions' generator, through the real lifecycle services); the previewed version is a new
draft of one of its suppressions with the typical condition below.
"""

from __future__ import annotations

import random
import time
from typing import Any

from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from membrane.models.principles import PrincipleVersion, VersionStatus
from membrane.principles import services
from membrane.principles.impact import condition_match_count, version_impact

from .decisions_population import _managers, publish_principles
from .registry import Benchmark, Report, median, register, require_postgresql

TARGET_S = 2.0
PRINCIPLES = 50
CONDITION = 'stage in ["crisis", "at_risk"] and open_tickets > 0'
BARE_SQL = """SELECT count(*) FROM cxcore_customerfacts f
JOIN membrane_customerstage s ON s.customer_id = f.customer_id
WHERE s.stage IN ('crisis', 'at_risk') AND f.open_tickets > 0"""

_META_DDL = "CREATE TABLE IF NOT EXISTS bench_authoring_population (customers int, generated_at timestamptz)"

_CUSTOMERS_SQL = """
INSERT INTO cxcore_customer (external_id, name, email, phone, segment, region, timezone, lifetime_value,
                             attributes, consent, created_at, updated_at)
SELECT 'bench-auth-' || g, 'Customer ' || g, '', '',
       (ARRAY['consumer', 'consumer', 'consumer', 'smb', 'smb', 'enterprise'])[1 + g %% 6],
       (ARRAY['north', 'south', 'east', 'west'])[1 + (g / 7) %% 4],
       (ARRAY['Europe/Berlin', 'Europe/Berlin', 'Europe/London', 'America/New_York', 'Asia/Tokyo',
              'UTC'])[1 + (g / 3) %% 6],
       round((random() ^ 3 * 20000)::numeric, 2),
       '{}'::jsonb,
       jsonb_build_object('email', random() < 0.7, 'sms', random() < 0.35, 'push', random() < 0.5,
                          'phone', random() < 0.6),
       %(now)s, %(now)s
FROM generate_series(1, %(n)s) g
"""

# Counts skewed towards zero (most customers have nothing open); the "days since" instants spread over a year.
_FACTS_SQL = """
INSERT INTO cxcore_customerfacts (customer_id, as_of, computed_at, valid_until_us, segment, region,
    lifetime_value, tenure_start, open_tickets, open_high_severity_tickets, oldest_open_ticket_at,
    open_tickets_without_eta, eta_given, max_issue_recurrence_90d, tickets_resolved_30d, last_resolution_at,
    complaints_30d, purchases_90d, last_purchase_at, last_survey_score, contacts_7d, last_contact_at)
SELECT c.id, %(now)s, %(now)s, NULL, c.segment, c.region, c.lifetime_value,
       %(now)s - (30 + random() * 1500) * interval '1 day',
       t.open, (t.open > 0 AND random() < 0.3)::int,
       CASE WHEN t.open > 0 THEN %(now)s - random() * 20 * interval '1 day' END,
       CASE WHEN t.open > 0 AND random() < 0.5 THEN 1 ELSE 0 END, t.open > 0 AND random() < 0.5,
       floor(random() ^ 4 * 4)::int, floor(random() ^ 3 * 3)::int,
       CASE WHEN random() < 0.4 THEN %(now)s - random() * 200 * interval '1 day' END,
       floor(random() ^ 5 * 4)::int, floor(random() ^ 2 * 4)::int,
       CASE WHEN random() < 0.8 THEN %(now)s - random() * 365 * interval '1 day' END,
       CASE WHEN random() < 0.3 THEN round((random() * 10)::numeric, 1) END,
       floor(random() ^ 3 * 5)::int,
       CASE WHEN random() < 0.9 THEN %(now)s - random() * 60 * interval '1 day' END
FROM cxcore_customer c
CROSS JOIN LATERAL (SELECT CASE WHEN random() < 0.12 THEN 1 + floor(random() ^ 2 * 3)::int ELSE 0 END
                    + (c.id * 0) AS open) t
"""

_STAGES_SQL = """
INSERT INTO membrane_customerstage (customer_id, stage, since, previous_stage, evaluated_through,
                                    ruleset_number, settled)
SELECT c.id, s.stage, %(now)s - (random() * 300) * interval '1 day',
       CASE WHEN s.stage <> 'onboarding' THEN (ARRAY['active', 'onboarding', 'at_risk', 'crisis'])[1 + c.id %% 4] END,
       %(now)s, NULL, false
FROM cxcore_customer c
CROSS JOIN LATERAL (
    SELECT CASE WHEN r < 0.45 THEN 'active' WHEN r < 0.60 THEN 'loyal' WHEN r < 0.70 THEN 'onboarding'
                WHEN r < 0.85 THEN 'dormant' WHEN r < 0.95 THEN 'at_risk' ELSE 'crisis' END AS stage
    FROM (SELECT random() + (c.id * 0) AS r) x
) s
"""


def _use_scratch_database(name: str) -> None:
    """Points the default connection at `name` (created beside the configured one if missing) and migrates it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')  # Django's connection is in autocommit here
    connection.close()
    connection.settings_dict["NAME"] = name
    call_command("migrate", verbosity=0, interactive=False)


def _population_ready(customers: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(_META_DDL)
        cursor.execute("SELECT customers FROM bench_authoring_population")
        row = cursor.fetchone()
        if row is None or row[0] != customers:
            return False
        cursor.execute("SELECT count(*) FROM cxcore_customerfacts")
        return cursor.fetchone()[0] == customers


def _populate(customers: int, now) -> float:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(_META_DDL)
        cursor.execute("TRUNCATE cxcore_customer, cxcore_customerfacts, membrane_customerstage CASCADE")
        cursor.execute(_CUSTOMERS_SQL, {"now": now, "n": customers})
        cursor.execute(_FACTS_SQL, {"now": now})
        cursor.execute(_STAGES_SQL, {"now": now})
        cursor.execute("DELETE FROM bench_authoring_population")
        cursor.execute("INSERT INTO bench_authoring_population VALUES (%s, %s)", [customers, now])
        cursor.execute("ANALYZE cxcore_customer, cxcore_customerfacts, membrane_customerstage")
    return time.perf_counter() - started


def _version_previewed() -> PrincipleVersion:
    """A new draft of a published suppression (replacing it), with the typical condition; reused by later runs."""
    author, _ = _managers()
    published = PrincipleVersion.objects.filter(status=VersionStatus.PUBLISHED, effect="suppress").select_related(
        "principle"
    )
    target = published.order_by("principle__slug").first()
    draft = PrincipleVersion.objects.filter(principle=target.principle, status=VersionStatus.DRAFT).first()
    if draft is not None:
        return draft
    return services.principle_version_draft_from_latest(
        principle=target.principle, actor=author, condition=CONDITION, categories=[], channels=[], teams=[]
    )


def _timed(function) -> tuple[float, Any]:
    started = time.perf_counter()
    answer = function()
    return time.perf_counter() - started, answer


def _bare_count() -> int:
    with connection.cursor() as cursor:
        cursor.execute(BARE_SQL)
        return cursor.fetchone()[0]


@register
class Authoring(Benchmark):
    name = "authoring"
    help = "The principle editor's live match count and impact preview over 1M customers, beside a bare count."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--customers", type=int, default=1_000_000)
        parser.add_argument("--repeat", type=int, default=5, help="timed runs of each (medians are of these)")
        parser.add_argument(
            "--in-place",
            action="store_true",
            help="measure in the configured database itself (its customers replaced), not its scratch copy",
        )

    def run(self, *, options: dict[str, Any], report: Report) -> dict[str, Any]:
        require_postgresql(self.name)
        customers, repeat = options["customers"], options["repeat"]
        if not options["in_place"]:
            _use_scratch_database(f"{connection.settings_dict['NAME']}_authoring")
        database = connection.settings_dict["NAME"]
        if _population_ready(customers):
            report.line(f"database {database}: reused its {customers:,} customers, their stored facts and stages")
        else:
            seconds = _populate(customers, timezone.now())
            report.line(f"database {database}: generated {customers:,} customers, facts and stages in {seconds:.1f} s")
        published = publish_principles(total=PRINCIPLES, rng=random.Random(14))
        version = _version_previewed()
        report.line(f"{published} published principles; previewing {version} ({version.condition})")
        bare, counted, impacts = [], [], []
        answers = {}
        for _ in range(repeat):
            seconds, answers["bare"] = _timed(_bare_count)
            bare.append(seconds)
            seconds, answers["count"] = _timed(lambda: condition_match_count(condition=CONDITION))
            counted.append(seconds)
            seconds, answers["impact"] = _timed(lambda: version_impact(version=version))
            impacts.append(seconds)
        if answers["count"] != answers["bare"]:
            raise AssertionError(f"the match count {answers['count']} differs from the bare count {answers['bare']}")
        base, count_s, impact_s = median(bare), median(counted), median(impacts)
        report.table(
            ["measure", "answer", "median s", "min s", "x bare count", f"under {TARGET_S:.0f} s"],
            [
                ("bare SQL count", answers["bare"], f"{base:.3f}", f"{min(bare):.3f}", "1.00", "-"),
                (
                    "live match count",
                    answers["count"],
                    f"{count_s:.3f}",
                    f"{min(counted):.3f}",
                    f"{count_s / base:.2f}",
                    "yes" if count_s < TARGET_S else "NO",
                ),
                (
                    "impact preview",
                    sum(c["allow_to_suppress"] + c["suppress_to_allow"] for c in answers["impact"]["changes"]),
                    f"{impact_s:.3f}",
                    f"{min(impacts):.3f}",
                    f"{impact_s / base:.2f}",
                    "yes" if impact_s < TARGET_S else "NO",
                ),
            ],
        )
        report.line(
            "impact answer: verdict changes summed over categories and channels; "
            f"{len(answers['impact']['changes'])} (category, channel) pairs change"
        )
        return {
            "customers": customers,
            "principles": published,
            "repeat": repeat,
            "bare_count_s": round(base, 4),
            "match_count_s": round(count_s, 4),
            "impact_s": round(impact_s, 4),
            "match_count_ratio": round(count_s / base, 2),
            "impact_ratio": round(impact_s / base, 2),
            "target_s": TARGET_S,
        }
