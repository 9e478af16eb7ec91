"""A seeded, realistic demo population: profiles and flat signal items in the shape of the API.

The same seed gives the same customers and the same signals, at times relative to `now`, so the
demo always looks current. Every customer follows one of a few life stories (content, a solved
problem, a recurring problem, an open crisis, dormant, new) so that every stage and principle of
the reference story has customers to act on.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

SOURCE = "demo"
HISTORY_DAYS = 180

FIRST_NAMES = [
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Elif",
    "Felix",
    "Greta",
    "Hannah",
    "Ivan",
    "Jonas",
    "Katrin",
    "Lukas",
    "Marie",
    "Noah",
    "Olga",
    "Paul",
]
LAST_NAMES = [
    "Becker",
    "Costa",
    "Demir",
    "Fischer",
    "Hoffmann",
    "Jansen",
    "Keller",
    "Lang",
    "Meyer",
    "Novak",
    "Peters",
    "Richter",
    "Silva",
    "Weber",
]
TRADES = [
    "Bakery",
    "Café",
    "Kiosk",
    "Pharmacy",
    "Bike Shop",
    "Florist",
    "Bookshop",
    "Salon",
    "Deli",
    "Taxi",
    "Optician",
    "Bistro",
    "Tailor",
]
COMPANY_WORDS = ["Nordlicht", "Alpen", "Rhein", "Hansa", "Kontor", "Vista", "Orbit", "Atlas", "Delta", "Meridian"]
COMPANY_KINDS = ["Retail Group", "Logistics", "Hotels", "Foods", "Mobility", "Health", "Stores"]

# region -> timezone: most customers in central Europe, some abroad so local hours differ.
REGIONS = {
    "north": "Europe/Berlin",
    "south": "Europe/Berlin",
    "east": "Europe/Berlin",
    "west": "Europe/Berlin",
    "austria": "Europe/Vienna",
    "switzerland": "Europe/Zurich",
    "uk": "Europe/London",
    "portugal": "Europe/Lisbon",
}
SEGMENTS = {"smb": 0.45, "consumer": 0.4, "enterprise": 0.15}
CONSENT_RATES = {"email": 0.8, "sms": 0.4, "push": 0.3, "phone": 0.6, "in_app": 0.5, "letter": 0.7}

# issue_key -> (segments it happens to, usual severity)
ISSUES = {
    "terminal_connection": ({"smb", "enterprise"}, "high"),
    "card_reader_fault": ({"smb", "enterprise"}, "normal"),
    "payout_delay": ({"smb", "enterprise"}, "high"),
    "receipt_printer": ({"smb"}, "low"),
    "billing_error": ({"smb", "enterprise", "consumer"}, "normal"),
    "app_login": ({"smb", "enterprise", "consumer"}, "low"),
    "delivery_delay": ({"consumer"}, "normal"),
    "card_declined": ({"consumer"}, "normal"),
}
# (team, category, channels): the outbound contacts each department sends.
CONTACTS = [
    ("marketing_devices", "marketing", ["email", "push", "in_app"]),
    ("marketing_devices", "upsell", ["email", "in_app"]),
    ("marketing_services", "marketing", ["email", "letter", "sms"]),
    ("marketing_services", "sales_offer", ["email", "sms"]),
    ("sales", "sales_offer", ["phone", "email"]),
    ("sales", "upsell", ["phone"]),
    ("service", "service_update", ["email", "sms", "push"]),
    ("service", "agent_contact", ["phone"]),
    ("research", "survey", ["email", "sms"]),
    ("cx", "agent_contact", ["phone", "email"]),
]
CONSENT_CATEGORIES = {"marketing", "sales_offer", "upsell", "survey"}
AMOUNTS = {"consumer": (15, 250), "smb": (80, 900), "enterprise": (1500, 12000)}
PURCHASE_GAP_DAYS = {"consumer": 45, "smb": 25, "enterprise": 14}
# life story -> share of the population
STORIES = {"content": 0.5, "solved": 0.2, "recurring": 0.07, "crisis": 0.06, "dormant": 0.1, "new": 0.07}
COMPLAINTS = [
    "Nobody tells me when this will be fixed.",
    "Third time this month, I am losing sales.",
    "Your hotline kept me waiting for 40 minutes.",
    "I was charged twice and nobody answers my emails.",
    "The replacement did not solve anything.",
]


@dataclass
class DemoData:
    customers: list[dict] = field(default_factory=list)
    signals: list[dict] = field(default_factory=list)


class _Builder:
    def __init__(self, data: DemoData, external_id: str, now: dt.datetime):
        self.data, self.external_id, self.now, self.n = data, external_id, now, 0

    def add(self, kind: str, at: dt.datetime, **fields) -> None:
        # Numbered before the future is cut off: the key names the same event whatever `now` is.
        self.n += 1
        if at > self.now:
            return
        self.data.signals.append(
            {
                "customer": self.external_id,
                "kind": kind,
                "occurred_at": at.isoformat(),
                "idempotency_key": f"{self.external_id}:{self.n}",
                **fields,
            }
        )

    def ticket(
        self,
        rng: random.Random,
        ref: str,
        issue_key: str,
        severity: str,
        opened: dt.datetime,
        *,
        eta_after: dt.timedelta | None,
        resolve_after: dt.timedelta | None,
        team: str = "service",
    ) -> dt.datetime | None:
        """Opens a ticket with an optional ETA and resolution; returns when it was resolved."""
        common = {"team": team, "ticket_ref": ref, "issue_key": issue_key}
        self.add("ticket_opened", opened, severity=severity, **common)
        if eta_after is not None:
            eta = opened + eta_after + dt.timedelta(days=rng.randint(1, 4))
            self.add("ticket_eta_given", opened + eta_after, eta=eta.isoformat(), **common)
        if resolve_after is None:
            return None
        resolved = opened + resolve_after
        self.add("ticket_resolved", resolved, **common)
        return resolved if resolved <= self.now else None


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _name(rng: random.Random, segment: str) -> str:
    if segment == "consumer":
        return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    if segment == "smb":
        return f"{rng.choice(LAST_NAMES)} {rng.choice(TRADES)}"
    return f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)}"


def _at(rng: random.Random, day: dt.datetime) -> dt.datetime:
    """A time in business hours (UTC, close enough to the customers' local day) on that day."""
    return day.replace(hour=rng.randint(7, 17), minute=rng.randint(0, 59), second=rng.randint(0, 59))


def _customer(rng: random.Random, data: DemoData, index: int, now: dt.datetime) -> None:
    segment = _pick(rng, SEGMENTS)
    region = rng.choice(list(REGIONS))
    story = _pick(rng, STORIES)
    external_id = f"demo-{index:05d}"
    name = _name(rng, segment)
    consent = {channel: rng.random() < rate for channel, rate in CONSENT_RATES.items()}
    first_day = now - dt.timedelta(days=rng.randint(20, 29) if story == "new" else HISTORY_DAYS)
    last_day = now
    if story == "dormant":
        # Gone quiet more than six months ago: their history lies before everyone else's.
        first_day = now - dt.timedelta(days=rng.randint(300, 420))
        last_day = now - dt.timedelta(days=rng.randint(190, 260))
    b = _Builder(data, external_id, now)

    total = Decimal("0")
    day = first_day + dt.timedelta(days=rng.randint(0, 10))
    low, high = AMOUNTS[segment]
    while day < last_day:
        amount = Decimal(rng.randint(low * 100, high * 100)) / 100
        total += amount
        b.add(
            "purchase", _at(rng, day), team="sales", amount=str(amount), payload={"order": f"{external_id}-{b.n + 1}"}
        )
        day += dt.timedelta(days=max(1, int(rng.expovariate(1 / PURCHASE_GAP_DAYS[segment]))))

    day = first_day + dt.timedelta(days=rng.randint(0, 7))
    while day < last_day:
        team, category, channels = rng.choice(CONTACTS)
        allowed = [c for c in channels if consent[c] or category not in CONSENT_CATEGORIES]
        if allowed:
            b.add("contact", _at(rng, day), direction="out", team=team, category=category, channel=rng.choice(allowed))
        day += dt.timedelta(days=rng.randint(6, 24))

    issues = [key for key, (segments, _) in ISSUES.items() if segment in segments]
    unhappy = story in {"recurring", "crisis"}
    problems = {"content": rng.choice([0, 0, 1]), "solved": rng.randint(1, 2), "dormant": rng.choice([0, 1])}.get(
        story, 0
    )
    for p in range(problems):
        span = max(1, (last_day - first_day).days - 12)
        opened = _at(rng, first_day + dt.timedelta(days=rng.randint(0, span)))
        issue = rng.choice(issues)
        ref = f"T-{external_id}-{p}"
        resolved = b.ticket(
            rng,
            ref,
            issue,
            ISSUES[issue][1],
            opened,
            eta_after=dt.timedelta(hours=rng.randint(2, 30)) if rng.random() < 0.85 else None,
            resolve_after=dt.timedelta(hours=rng.randint(6, 24 * 8)),
        )
        if resolved and rng.random() < 0.1:
            # The fix did not hold.
            common = {"team": "service", "ticket_ref": ref, "issue_key": issue}
            reopened = resolved + dt.timedelta(days=rng.randint(1, 3))
            b.add("ticket_reopened", reopened, **common)
            b.add("ticket_resolved", reopened + dt.timedelta(days=rng.randint(1, 3)), **common)
    if story == "recurring":
        # The same problem comes back every few weeks; the last time it was fixed a few days ago.
        issue = rng.choice(issues)
        opened = now - dt.timedelta(days=rng.randint(70, 85))
        for p in range(rng.randint(3, 5)):
            b.ticket(
                rng,
                f"T-{external_id}-r{p}",
                issue,
                ISSUES[issue][1],
                _at(rng, opened),
                eta_after=dt.timedelta(hours=rng.randint(2, 20)),
                resolve_after=dt.timedelta(days=rng.randint(1, 4)),
            )
            opened += dt.timedelta(days=rng.randint(12, 18))
        if rng.random() < 0.5:
            b.add("complaint", opened, team="service", payload={"text": rng.choice(COMPLAINTS)})
    if story == "crisis":
        issue = rng.choice(issues)
        opened = now - dt.timedelta(days=rng.randint(0, 9), hours=rng.randint(1, 20))
        b.ticket(
            rng,
            f"T-{external_id}-c",
            issue,
            rng.choice(["normal", "high"]),
            opened,
            eta_after=dt.timedelta(hours=rng.randint(2, 30)) if rng.random() < 0.5 else None,
            resolve_after=None,
        )
        if rng.random() < 0.6:
            b.add(
                "complaint",
                opened + dt.timedelta(hours=rng.randint(5, 60)),
                team="service",
                payload={"text": rng.choice(COMPLAINTS)},
            )

    for _ in range(rng.randint(0, 2)):
        at = _at(rng, first_day + dt.timedelta(days=rng.randint(0, max(0, (last_day - first_day).days))))
        score = rng.randint(0, 6) if unhappy else rng.choice([6, 7, 8, 8, 9, 9, 10, 10])
        b.add("survey_response", at, team="research", category="survey", score=score, scale=10)

    data.customers.append(
        {
            "external_id": external_id,
            "name": name,
            "email": f"{external_id}@example.com",
            "phone": f"+49 30 {rng.randint(1000000, 9999999)}",
            "segment": segment,
            "region": region,
            "timezone": REGIONS[region],
            "lifetime_value": str(total),
            "attributes": {"story": story, "customer_since": first_day.date().isoformat()},
            "consent": consent,
        }
    )


def _reference_merchants(data: DemoData, now: dt.datetime) -> None:
    """DESIGN.md section 13: the merchant whose card terminal keeps losing its connection.

    merchant-terminal-42 is in the middle of it: the problem recurred four times in 90 days, and
    a fifth ticket has been open for four days with no ETA yet. merchant-terminal-17 is after it:
    the same history, all resolved, the last fix five days ago (at risk of desertion).
    """
    rng = random.Random(42)
    for external_id, name, still_open in [
        ("merchant-terminal-42", "Kiosk am Markt (Terminal 42)", True),
        ("merchant-terminal-17", "Bäckerei Sonnenschein (Terminal 17)", False),
    ]:
        b = _Builder(data, external_id, now)
        total = Decimal("0")
        for month in range(6, 0, -1):
            amount = Decimal("189.00")
            total += amount
            b.add(
                "purchase",
                _at(rng, now - dt.timedelta(days=30 * month)),
                team="sales",
                amount=str(amount),
                payload={"item": "card terminal service plan"},
            )
        for n, days_ago in enumerate([82, 61, 43, 24]):
            opened = _at(rng, now - dt.timedelta(days=days_ago))
            b.ticket(
                rng,
                f"{external_id}-T{n + 1}",
                "terminal_connection",
                "high",
                opened,
                eta_after=dt.timedelta(hours=3),
                resolve_after=dt.timedelta(days=2, hours=4),
            )
        b.add(
            "complaint",
            now - dt.timedelta(days=23),
            team="service",
            payload={"text": "The terminal dropped the connection again during the lunch rush."},
        )
        b.add("survey_response", now - dt.timedelta(days=40), team="research", category="survey", score=3, scale=10)
        for days_ago, team, category, channel in [
            (50, "marketing_devices", "marketing", "email"),
            (35, "marketing_services", "sales_offer", "email"),
            (20, "service", "service_update", "sms"),
            (12, "marketing_devices", "upsell", "email"),
        ]:
            b.add(
                "contact",
                _at(rng, now - dt.timedelta(days=days_ago)),
                direction="out",
                team=team,
                category=category,
                channel=channel,
            )
        if still_open:
            opened = now - dt.timedelta(days=4, hours=2)
            b.ticket(
                rng, f"{external_id}-T5", "terminal_connection", "high", opened, eta_after=None, resolve_after=None
            )
            b.add(
                "complaint",
                opened + dt.timedelta(hours=20),
                team="service",
                payload={"text": "Still no connection and nobody can tell me when it will be fixed."},
            )
        else:
            opened = now - dt.timedelta(days=9)
            b.ticket(
                rng,
                f"{external_id}-T5",
                "terminal_connection",
                "high",
                opened,
                eta_after=dt.timedelta(hours=5),
                resolve_after=dt.timedelta(days=4),
            )
        data.customers.append(
            {
                "external_id": external_id,
                "name": name,
                "email": f"{external_id}@example.com",
                "phone": "+49 30 4242420" if still_open else "+49 30 1717170",
                "segment": "smb",
                "region": "north",
                "timezone": "Europe/Berlin",
                "lifetime_value": str(total),
                "attributes": {"story": "reference", "device": "card terminal", "customer_since": "2023-03-01"},
                "consent": {"email": True, "sms": True, "phone": True, "push": False, "in_app": True, "letter": True},
            }
        )


def demo_generate(*, customers: int, seed: int, now: dt.datetime) -> DemoData:
    rng = random.Random(seed)
    data = DemoData()
    # Whole minutes: the same seed in the same minute gives byte-identical items.
    now = now.replace(second=0, microsecond=0)
    _reference_merchants(data, now)
    for index in range(1, customers + 1):
        _customer(rng, data, index, now)
    return data
