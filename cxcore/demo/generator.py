"""A seeded, realistic demo population: profiles and flat signal items in the shape of the API.

The same seed gives the same customers and the same signals, at times relative to `now`, so the
demo always looks current. Every customer follows one of a few life stories (content, a solved
problem, a recurring problem, an open crisis, dormant, new) so that every stage and principle of
the reference story has customers to act on.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from .history import CustomerHistory, DemoData, business_hours
from .reference import reference_merchants_add

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


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _name(rng: random.Random, segment: str) -> str:
    if segment == "consumer":
        return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    if segment == "smb":
        return f"{rng.choice(LAST_NAMES)} {rng.choice(TRADES)}"
    return f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)}"


# Each step below draws from the one generator in a fixed order: the same seed, the same population.


def _customer(rng: random.Random, data: DemoData, index: int, now: dt.datetime) -> None:
    segment = _pick(rng, SEGMENTS)
    region = rng.choice(list(REGIONS))
    story = _pick(rng, STORIES)
    external_id = f"demo-{index:05d}"
    name = _name(rng, segment)
    consent = {channel: rng.random() < rate for channel, rate in CONSENT_RATES.items()}
    first_day, last_day = _active_days(rng, story, now)
    history = CustomerHistory(data, external_id, now)
    total = _purchases(rng, history, segment, first_day, last_day)
    _contacts(rng, history, consent, first_day, last_day)
    issues = [key for key, (segments, _) in ISSUES.items() if segment in segments]
    _solved_problems(rng, history, story, issues, first_day, last_day)
    if story == "recurring":
        _recurring_problem(rng, history, issues, now)
    if story == "crisis":
        _open_crisis(rng, history, issues, now)
    _surveys(rng, history, first_day, last_day, unhappy=story in {"recurring", "crisis"})
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


def _active_days(rng: random.Random, story: str, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The first and last day of the customer's history."""
    first_day = now - dt.timedelta(days=rng.randint(20, 29) if story == "new" else HISTORY_DAYS)
    last_day = now
    if story == "dormant":
        # Gone quiet more than six months ago: their history lies before everyone else's.
        first_day = now - dt.timedelta(days=rng.randint(300, 420))
        last_day = now - dt.timedelta(days=rng.randint(190, 260))
    return first_day, last_day


def _purchases(
    rng: random.Random, history: CustomerHistory, segment: str, first_day: dt.datetime, last_day: dt.datetime
) -> Decimal:
    """Purchases at the segment's usual gaps and amounts; returns their total."""
    total = Decimal("0")
    day = first_day + dt.timedelta(days=rng.randint(0, 10))
    low, high = AMOUNTS[segment]
    while day < last_day:
        amount = Decimal(rng.randint(low * 100, high * 100)) / 100
        total += amount
        order = f"{history.external_id}-{history.n + 1}"
        history.add("purchase", business_hours(rng, day), team="sales", amount=str(amount), payload={"order": order})
        day += dt.timedelta(days=max(1, int(rng.expovariate(1 / PURCHASE_GAP_DAYS[segment]))))
    return total


def _contacts(
    rng: random.Random,
    history: CustomerHistory,
    consent: dict[str, bool],
    first_day: dt.datetime,
    last_day: dt.datetime,
) -> None:
    """The departments' outbound contacts, every week or few, on channels the customer consented to
    where the category needs consent."""
    day = first_day + dt.timedelta(days=rng.randint(0, 7))
    while day < last_day:
        team, category, channels = rng.choice(CONTACTS)
        allowed = [c for c in channels if consent[c] or category not in CONSENT_CATEGORIES]
        if allowed:
            at = business_hours(rng, day)
            history.add("contact", at, direction="out", team=team, category=category, channel=rng.choice(allowed))
        day += dt.timedelta(days=rng.randint(6, 24))


def _solved_problems(
    rng: random.Random,
    history: CustomerHistory,
    story: str,
    issues: list[str],
    first_day: dt.datetime,
    last_day: dt.datetime,
) -> None:
    """Tickets opened and fixed now and then (content, solved and dormant customers); a few reopen."""
    # Each story's count is drawn whatever the story, so every customer takes the same draws.
    problems = {"content": rng.choice([0, 0, 1]), "solved": rng.randint(1, 2), "dormant": rng.choice([0, 1])}.get(
        story, 0
    )
    for p in range(problems):
        span = max(1, (last_day - first_day).days - 12)
        opened = business_hours(rng, first_day + dt.timedelta(days=rng.randint(0, span)))
        issue = rng.choice(issues)
        ref = f"T-{history.external_id}-{p}"
        resolved = history.ticket(
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
            history.add("ticket_reopened", reopened, **common)
            history.add("ticket_resolved", reopened + dt.timedelta(days=rng.randint(1, 3)), **common)


def _recurring_problem(rng: random.Random, history: CustomerHistory, issues: list[str], now: dt.datetime) -> None:
    """The same problem comes back every few weeks; the last time it was fixed a few days ago."""
    issue = rng.choice(issues)
    opened = now - dt.timedelta(days=rng.randint(70, 85))
    for p in range(rng.randint(3, 5)):
        history.ticket(
            rng,
            f"T-{history.external_id}-r{p}",
            issue,
            ISSUES[issue][1],
            business_hours(rng, opened),
            eta_after=dt.timedelta(hours=rng.randint(2, 20)),
            resolve_after=dt.timedelta(days=rng.randint(1, 4)),
        )
        opened += dt.timedelta(days=rng.randint(12, 18))
    if rng.random() < 0.5:
        history.add("complaint", opened, team="service", payload={"text": rng.choice(COMPLAINTS)})


def _open_crisis(rng: random.Random, history: CustomerHistory, issues: list[str], now: dt.datetime) -> None:
    """A ticket opened in the last days and not resolved, often with a complaint."""
    issue = rng.choice(issues)
    opened = now - dt.timedelta(days=rng.randint(0, 9), hours=rng.randint(1, 20))
    history.ticket(
        rng,
        f"T-{history.external_id}-c",
        issue,
        rng.choice(["normal", "high"]),
        opened,
        eta_after=dt.timedelta(hours=rng.randint(2, 30)) if rng.random() < 0.5 else None,
        resolve_after=None,
    )
    if rng.random() < 0.6:
        history.add(
            "complaint",
            opened + dt.timedelta(hours=rng.randint(5, 60)),
            team="service",
            payload={"text": rng.choice(COMPLAINTS)},
        )


def _surveys(
    rng: random.Random, history: CustomerHistory, first_day: dt.datetime, last_day: dt.datetime, *, unhappy: bool
) -> None:
    """None to two survey answers: low from the unhappy, mostly high from the others."""
    for _ in range(rng.randint(0, 2)):
        at = business_hours(rng, first_day + dt.timedelta(days=rng.randint(0, max(0, (last_day - first_day).days))))
        score = rng.randint(0, 6) if unhappy else rng.choice([6, 7, 8, 8, 9, 9, 10, 10])
        history.add("survey_response", at, team="research", category="survey", score=score, scale=10)


def demo_generate(*, customers: int, seed: int, now: dt.datetime) -> DemoData:
    rng = random.Random(seed)
    data = DemoData()
    # Whole minutes: the same seed in the same minute gives byte-identical items.
    now = now.replace(second=0, microsecond=0)
    reference_merchants_add(data, now)
    for index in range(1, customers + 1):
        _customer(rng, data, index, now)
    return data
