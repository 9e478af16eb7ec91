"""bench search: the customer search over 1,000,000 customers, per field, beside the bare index lookup.

Goal (issue 17): under 50 ms server time per field (external id, name, email, phone). Each sample is a
prefix of a real customer's value, of a random length, in a random case (the phone in another writing:
"0049" for "+49", other spaces); the page is asked for as the console asks for it (GET /customers/?q=...,
logged in as an agent, the whole request in-process: middleware, the search, the count, the page's rows with
their stage and open tickets, the template). The baseline is the bare SQL of the same index lookup, the
field's own prefix range with the page's LIMIT, timed in the same run.

The population lives in a scratch database of its own (`<db>_search`, created beside the one DATABASE_URL
names, and migrated), generated in SQL the first time and reused by later runs of the same size.
"""

from __future__ import annotations

import random
import time
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from cxcore.customer_search import phone_digits

from .authoring import _use_scratch_database
from .registry import Benchmark, Report, median, percentile, register, require_postgresql

TARGET_MS = 50.0
FIELDS = ("external_id", "name", "email", "phone")
_META_DDL = "CREATE TABLE IF NOT EXISTS bench_search_population (customers int, generated_at timestamptz)"
FIRST = ["Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hans", "Ida", "Jonas", "Karla", "Lukas",
         "Mia", "Noah", "Olga", "Paul", "Rosa", "Sven", "Tara", "Umut", "Vera", "Willi", "Yara", "Zoe"]  # fmt: skip
LAST = ["Berg", "Schmidt", "Müller", "Weber", "Fischer", "Wagner", "Becker", "Hoffmann", "Schulz", "Koch",
        "Richter", "Klein", "Wolf", "Neumann", "Schwarz", "Braun", "Zimmermann", "Krüger", "Hartmann", "Lange",
        "Özdemir", "Nowak", "Jansen", "Lehmann", "Kaiser", "Fuchs", "Peters", "Scholz", "Vogel", "Frank"]  # fmt: skip

_CUSTOMERS_SQL = """
INSERT INTO cxcore_customer (external_id, name, email, phone, segment, region, timezone, lifetime_value,
                             attributes, consent, created_at, updated_at)
SELECT 'cus-' || lpad(g::text, 7, '0'), n.first || ' ' || n.last,
       lower(n.first) || '.' || lower(n.last) || g || '@example.com',
       CASE WHEN g %% 3 = 0 THEN '0' || (30 + g %% 60) || '/' || lpad(((g::bigint * 7919) %% 10000000)::text, 7, '0')
            ELSE '+49 ' || (30 + g %% 60) || ' ' || lpad(((g::bigint * 7919) %% 10000000)::text, 7, '0') END,
       (ARRAY['consumer', 'consumer', 'consumer', 'smb', 'smb', 'enterprise'])[1 + g %% 6],
       (ARRAY['north', 'south', 'east', 'west'])[1 + (g / 7) %% 4], 'Europe/Berlin', 0, '{}'::jsonb, '{}'::jsonb,
       %(now)s, %(now)s
FROM generate_series(1, %(n)s) g
CROSS JOIN LATERAL (SELECT (%(first)s::text[])[1 + (g * 31) %% %(nf)s] AS first,
                           (%(last)s::text[])[1 + (g * 17 / 5) %% %(nl)s] AS last) n
"""

_STAGES_SQL = """
INSERT INTO membrane_customerstage (customer_id, stage, since, previous_stage, evaluated_through,
                                    ruleset_number, settled)
SELECT c.id, (ARRAY['active', 'active', 'loyal', 'onboarding', 'dormant', 'at_risk', 'crisis'])[1 + c.id %% 7],
       %(now)s - (c.id %% 300) * interval '1 day', NULL, %(now)s, NULL, false
FROM cxcore_customer c
"""

# The bare index lookup of each field: the expression its index holds, a prefix range, the page's LIMIT.
BARE_SQL = {
    field: f'SELECT id FROM cxcore_customer WHERE {key} COLLATE "C" LIKE %s ORDER BY {key} COLLATE "C" LIMIT 26'
    for field, key in (
        ("external_id", "lower(external_id)"),
        ("name", "lower(name)"),
        ("email", "lower(email)"),
        ("phone", "phone_digits"),
    )
}


def _population_ready(customers: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(_META_DDL)
        cursor.execute("SELECT customers FROM bench_search_population")
        row = cursor.fetchone()
        if row is None or row[0] != customers:
            return False
        cursor.execute("SELECT count(*) FROM cxcore_customer")
        return cursor.fetchone()[0] == customers


def _populate(customers: int, now) -> float:
    started = time.perf_counter()
    params = {"now": now, "n": customers, "first": FIRST, "last": LAST, "nf": len(FIRST), "nl": len(LAST)}
    with connection.cursor() as cursor:
        cursor.execute(_META_DDL)
        cursor.execute("TRUNCATE cxcore_customer, cxcore_customerfacts, membrane_customerstage CASCADE")
        cursor.execute(_CUSTOMERS_SQL, params)
        cursor.execute(_STAGES_SQL, {"now": now})
        cursor.execute("DELETE FROM bench_search_population")
        cursor.execute("INSERT INTO bench_search_population VALUES (%s, %s)", [customers, now])
        cursor.execute("ANALYZE cxcore_customer, membrane_customerstage")
    return time.perf_counter() - started


def _agent_client() -> Client:
    user, _ = get_user_model().objects.get_or_create(username="bench-search-agent")
    user.groups.add(Group.objects.get(name="agent"))
    client = Client()
    client.force_login(user)
    return client


def _mixed_case(rng: random.Random, text: str) -> str:
    return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in text)


def _phone_written_otherwise(rng: random.Random, phone: str) -> str:
    """The same number as someone else would type it: 0049 for +49, the groups spaced or dashed."""
    digits = phone_digits(phone)
    groups = [digits[:4], digits[4:6], digits[6:]] if digits.startswith("00") else [digits[:3], digits[3:]]
    written = rng.choice([" ", "-", ""]).join(group for group in groups if group)
    if digits.startswith("0049") and rng.random() < 0.5:
        written = "+49 " + written[4:].lstrip(" -")
    return written


def _samples(rng: random.Random, per_field: int) -> dict[str, list[tuple[str, str]]]:
    """Per field: (the text typed in the search box, the bare lookup's LIKE pattern) of real customers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM cxcore_customer")
        top = cursor.fetchone()[0]
        ids = [rng.randint(1, top) for _ in range(per_field * 4)]
        cursor.execute("SELECT external_id, name, email, phone FROM cxcore_customer WHERE id = ANY(%s)", [ids])
        rows = cursor.fetchall()
    rng.shuffle(rows)
    samples: dict[str, list[tuple[str, str]]] = {field: [] for field in FIELDS}
    for external_id, name, email, phone in rows[:per_field]:
        for field, value in (("external_id", external_id), ("name", name), ("email", email)):
            typed = _mixed_case(rng, value[: rng.randint(4, len(value))]).strip()
            samples[field].append((typed, typed.lower().replace("\\", "\\\\").replace("%", "\\%") + "%"))
        written = _phone_written_otherwise(rng, phone)
        typed = written[: rng.randint(min(8, len(written)), len(written))].rstrip(" -")
        samples["phone"].append((typed, phone_digits(typed) + "%"))
    return samples


def _timed_ms(function, *args) -> tuple[float, Any]:
    started = time.perf_counter()
    answer = function(*args)
    return (time.perf_counter() - started) * 1000, answer


def _bare(sql: str, pattern: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, [pattern])
        return cursor.fetchall()


@register
class Search(Benchmark):
    name = "search"
    help = "The customer search per field over 1M customers (server time), beside the bare index lookup."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--customers", type=int, default=1_000_000)
        parser.add_argument("--samples", type=int, default=100, help="searches per field (median and p99 of these)")
        parser.add_argument("--seed", type=int, default=17)
        parser.add_argument(
            "--in-place",
            action="store_true",
            help="measure in the configured database itself (its customers replaced), not its scratch copy",
        )

    def run(self, *, options: dict[str, Any], report: Report) -> dict[str, Any]:
        require_postgresql(self.name)
        customers, per_field = options["customers"], options["samples"]
        if not options["in_place"]:
            _use_scratch_database(f"{connection.settings_dict['NAME']}_search")
        database = connection.settings_dict["NAME"]
        if _population_ready(customers):
            report.line(f"database {database}: reused its {customers:,} customers and their stages")
        else:
            seconds = _populate(customers, timezone.now())
            report.line(f"database {database}: generated {customers:,} customers and stages in {seconds:.1f} s")
        rng = random.Random(options["seed"])
        samples = _samples(rng, per_field)
        with override_settings(ALLOWED_HOSTS=["testserver"]):
            client = _agent_client()
            client.get("/customers/", {"q": "warm-up"})
            rows, summary = [], {"customers": customers, "samples_per_field": per_field, "target_ms": TARGET_MS}
            for field in FIELDS:
                page_ms, bare_ms, empty = [], [], 0
                for typed, pattern in samples[field]:
                    ms, _ = _timed_ms(_bare, BARE_SQL[field], pattern)
                    bare_ms.append(ms)
                    ms, response = _timed_ms(client.get, "/customers/", {"q": typed})
                    if response.status_code != 200:
                        raise AssertionError(f"{field} search {typed!r} answered {response.status_code}")
                    if b"data-row-link" not in response.content:
                        empty += 1
                    page_ms.append(ms)
                if empty:
                    raise AssertionError(f"{empty} {field} searches for a real customer's prefix found nobody")
                med, p99 = median(page_ms), percentile(page_ms, 0.99)
                bare_med, bare_p99 = median(bare_ms), percentile(bare_ms, 0.99)
                rows.append(
                    (
                        field,
                        samples[field][0][0],
                        f"{med:.1f}",
                        f"{p99:.1f}",
                        f"{bare_med:.2f}",
                        f"{bare_p99:.2f}",
                        f"{med / bare_med:.1f}",
                        "yes" if med < TARGET_MS and p99 < TARGET_MS else "NO",
                    )
                )
                summary |= {
                    f"{field}_median_ms": round(med, 2),
                    f"{field}_p99_ms": round(p99, 2),
                    f"{field}_bare_median_ms": round(bare_med, 3),
                    f"{field}_bare_p99_ms": round(bare_p99, 3),
                    f"{field}_ratio": round(med / bare_med, 1),
                }
        report.table(
            ["field", "e.g.", "page median ms", "page p99 ms", "bare median ms", "bare p99 ms", "x bare", "< 50 ms"],
            rows,
        )
        report.line(
            "page: GET /customers/?q=... in-process as an agent (search, capped count, rows with stage and open"
            " tickets, template); bare: the field's index lookup alone"
        )
        return summary
