"""bench ingest's signals: plausible items of realistic size for the batch API, and the same as the rows it stores,
for the COPY baseline."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from cxcore.ingest import MAX_BATCH, signals_clean
from cxcore.ingest_storage import signal_row
from cxcore.models import Customer

OFFSETS = [dt.timezone(dt.timedelta(hours=h)) for h in (0, 1, 2, -5, 5.5, 9)]
TEAMS_BY_CATEGORY = {
    "marketing": ["marketing_services", "marketing_devices"],
    "upsell": ["marketing_devices", "sales"],
    "sales_offer": ["sales"],
    "survey": ["research"],
    "service_update": ["service"],
}
KINDS = [
    ("contact", 30),
    ("purchase", 15),
    ("ticket_opened", 12),
    ("ticket_resolved", 10),
    ("ticket_eta_given", 8),
    ("survey_response", 8),
    ("complaint", 5),
    ("ticket_reopened", 2),
    ("app_login", 10),
]


# What integrations put in a signal's payload beside the fields the membrane reads: their ids, a subject,
# who handled it. With the fields, an item is about 300 bytes of JSON.
_SUBJECTS = ["Terminal drops connection", "Card reader error", "Invoice question", "Upgrade offer", "Receipt"]


def _payload(rng: random.Random, i: int, kind: str) -> dict[str, Any]:
    return {
        "seq": i,
        "ref": f"{kind[:3].upper()}-{rng.randrange(10**9):09d}",
        "subject": rng.choice(_SUBJECTS),
        "agent": f"agent-{rng.randrange(400):03d}",
    }


@dataclass
class Generated:
    items: list[dict[str, Any]]
    customers: list[str]


def generate(*, n: int, tag: str, run: int, seed: int) -> Generated:
    """`n` plausible signals of the kinds the membrane reads, for about n/10 customers."""
    rng = random.Random(seed)
    customers = [f"{tag}-r{run}-c{i:06d}" for i in range(max(1, n // 10))]
    kinds, weights = zip(*KINDS, strict=True)
    now = timezone.now()
    items = []
    for i in range(n):
        kind = rng.choices(kinds, weights)[0]
        when = now - dt.timedelta(seconds=rng.randrange(365 * 86400))
        item: dict[str, Any] = {
            "customer": rng.choice(customers),
            "kind": kind,
            "occurred_at": when.astimezone(rng.choice(OFFSETS)).isoformat(timespec="seconds"),
            "payload": _payload(rng, i, kind),
        }
        if rng.random() < 0.7:  # most senders give keys; the others rely on the derived one
            item["idempotency_key"] = f"{tag}-r{run}-{i}"
        if kind.startswith("ticket_"):
            ticket = rng.randrange(n)
            item.update(ticket_ref=f"T-{ticket}", issue_key=f"issue-{ticket % 500}", channel="phone")
            if kind == "ticket_opened":
                item["severity"] = rng.choice(["low", "normal", "normal", "high"])
            if kind == "ticket_eta_given":
                eta = when + dt.timedelta(hours=rng.randrange(1, 96))
                item["eta"] = eta.isoformat(timespec="seconds")
        elif kind == "purchase":
            item["amount"] = f"{rng.randrange(100, 500_000) / 100:.2f}"
        elif kind == "survey_response":
            item.update(score=rng.randrange(11), scale=10, channel="email", team="research", category="survey")
        elif kind == "contact":
            category = rng.choice(list(TEAMS_BY_CATEGORY))
            item.update(
                direction="out",
                channel=rng.choice(["email", "sms", "push", "phone"]),
                category=category,
                team=rng.choice(TEAMS_BY_CATEGORY[category]),
            )
        elif kind == "complaint":
            item.update(channel=rng.choice(["email", "phone"]), severity="high")
        items.append(item)
    return Generated(items=items, customers=customers)


def copy_rows(generated: Generated, *, source: str) -> list[tuple]:
    """The rows the API stored, as tuples for a bare COPY: the ingest's own rows of the same items."""
    ids = dict(Customer.objects.filter(external_id__in=generated.customers).values_list("external_id", "id"))
    received_at = timezone.now()
    rows = []
    for start in range(0, len(generated.items), MAX_BATCH):
        for clean in signals_clean(items=generated.items[start : start + MAX_BATCH], source=source):
            row = signal_row(clean["customer"], clean, received_at)
            rows.append((ids[row[0]], *row[1:]))
    return rows


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(rows: list[tuple]) -> bytes:
    """The rows in COPY's text format, rendered before the clock starts."""
    lines = []
    for row in rows:
        fields = []
        for value in row:
            if value is None:
                fields.append("\\N")
            elif isinstance(value, dt.datetime):
                fields.append(value.isoformat())
            else:
                fields.append(str(value).translate(_COPY_ESCAPES))
        lines.append("\t".join(fields))
    return ("\n".join(lines) + "\n").encode()
