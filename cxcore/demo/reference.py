"""The reference story's merchants (DESIGN.md section 13): the card terminal that keeps losing its connection.

merchant-terminal-42 is in the middle of it: the problem recurred four times in 90 days, and a fifth
ticket has been open for four days with no ETA yet. merchant-terminal-17 is after it: the same
history, all resolved, the last fix five days ago (at risk of desertion). Their signals are the
same whatever the seed, so the story reads alike in every demo.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from .history import CustomerHistory, DemoData, business_hours

MERCHANTS = [
    ("merchant-terminal-42", "Kiosk am Markt (Terminal 42)", True),
    ("merchant-terminal-17", "Bäckerei Sonnenschein (Terminal 17)", False),
]
# (days ago, team, category, channel): what the departments sent them meanwhile.
CONTACTS_SENT = [
    (50, "marketing_devices", "marketing", "email"),
    (35, "marketing_services", "sales_offer", "email"),
    (20, "service", "service_update", "sms"),
    (12, "marketing_devices", "upsell", "email"),
]


def reference_merchants_add(data: DemoData, now: dt.datetime) -> None:
    # One generator for both, in this order: the same draws give the same times in every demo.
    rng = random.Random(42)
    for external_id, name, still_open in MERCHANTS:
        history = CustomerHistory(data, external_id, now)
        total = _service_plan(rng, history, now)
        _terminal_failures(rng, history, now)
        _contacts(rng, history, now)
        _fifth_failure(rng, history, now, still_open=still_open)
        data.customers.append(_profile(external_id, name, total, still_open=still_open))


def _service_plan(rng: random.Random, history: CustomerHistory, now: dt.datetime) -> Decimal:
    """Six monthly payments for the terminal's service plan; returns their total."""
    total = Decimal("0")
    for month in range(6, 0, -1):
        amount = Decimal("189.00")
        total += amount
        history.add(
            "purchase",
            business_hours(rng, now - dt.timedelta(days=30 * month)),
            team="sales",
            amount=str(amount),
            payload={"item": "card terminal service plan"},
        )
    return total


def _terminal_failures(rng: random.Random, history: CustomerHistory, now: dt.datetime) -> None:
    """Four connection failures in 90 days, each with an ETA and fixed; a complaint, a poor survey."""
    for n, days_ago in enumerate([82, 61, 43, 24]):
        opened = business_hours(rng, now - dt.timedelta(days=days_ago))
        history.ticket(
            rng,
            f"{history.external_id}-T{n + 1}",
            "terminal_connection",
            "high",
            opened,
            eta_after=dt.timedelta(hours=3),
            resolve_after=dt.timedelta(days=2, hours=4),
        )
    history.add(
        "complaint",
        now - dt.timedelta(days=23),
        team="service",
        payload={"text": "The terminal dropped the connection again during the lunch rush."},
    )
    history.add("survey_response", now - dt.timedelta(days=40), team="research", category="survey", score=3, scale=10)


def _contacts(rng: random.Random, history: CustomerHistory, now: dt.datetime) -> None:
    for days_ago, team, category, channel in CONTACTS_SENT:
        history.add(
            "contact",
            business_hours(rng, now - dt.timedelta(days=days_ago)),
            direction="out",
            team=team,
            category=category,
            channel=channel,
        )


def _fifth_failure(rng: random.Random, history: CustomerHistory, now: dt.datetime, *, still_open: bool) -> None:
    """Open for four days with no ETA and a complaint, or fixed five days ago."""
    ref = f"{history.external_id}-T5"
    if still_open:
        opened = now - dt.timedelta(days=4, hours=2)
        history.ticket(rng, ref, "terminal_connection", "high", opened, eta_after=None, resolve_after=None)
        history.add(
            "complaint",
            opened + dt.timedelta(hours=20),
            team="service",
            payload={"text": "Still no connection and nobody can tell me when it will be fixed."},
        )
    else:
        opened = now - dt.timedelta(days=9)
        history.ticket(
            rng,
            ref,
            "terminal_connection",
            "high",
            opened,
            eta_after=dt.timedelta(hours=5),
            resolve_after=dt.timedelta(days=4),
        )


def _profile(external_id: str, name: str, total: Decimal, *, still_open: bool) -> dict:
    return {
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
