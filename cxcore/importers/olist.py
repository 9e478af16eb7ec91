"""The Olist e-commerce dataset as customers and signals (docs/olist-mapping.md explains every choice).

`olist_read` is a pure function of the five CSV files: it returns customer profiles and flat signal
items in the shape of the API (DESIGN.md section 9), so the import goes through the same services,
validation and idempotency as an integration would.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import os
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings

SOURCE = "olist"
TIMEZONE = "America/Sao_Paulo"
TZ = ZoneInfo(TIMEZONE)

TABLES = ("customers", "orders", "order_payments", "order_items", "order_reviews")
# Orders Olist had not finished when the data was cut: neither delivered nor called off.
OPEN_STATUSES = {"created", "approved", "processing", "invoiced", "shipped"}
CALLED_OFF = {"canceled": "order_canceled", "unavailable": "order_unavailable"}
LOW_SCORE = 2


def olist_default_dir() -> Path:
    """OLIST_DIR when set, else the shared data folder beside the project (../shared/data/olist)."""
    if os.environ.get("OLIST_DIR"):
        return Path(os.environ["OLIST_DIR"])
    return (Path(settings.BASE_DIR) / ".." / "shared" / "data" / "olist").resolve()


def olist_rows(directory: Path, table: str) -> Iterator[dict[str, str]]:
    # The csv module, not lines: review comments contain newlines.
    with gzip.open(Path(directory) / f"olist_{table}_dataset.csv.gz", "rt", encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh)


def local_time(value: str) -> dt.datetime | None:
    """Olist timestamps are naive Sao Paulo wall-clock times."""
    if not value:
        return None
    return dt.datetime.fromisoformat(value).replace(tzinfo=TZ)


@dataclass
class OlistData:
    customers: list[dict] = field(default_factory=list)
    signals: list[dict] = field(default_factory=list)
    orders: int = 0
    # The latest moment the data knows of; an open order is overdue only if its estimate passed before it.
    cut: dt.datetime | None = None


def _signal(customer: str, kind: str, at: dt.datetime, key: str, **fields) -> dict:
    return {"customer": customer, "kind": kind, "occurred_at": at.isoformat(), "idempotency_key": key, **fields}


def _problem(order: dict[str, str], cut: dt.datetime) -> tuple[str, dt.datetime, dt.datetime | None] | None:
    """(issue_key, opened, resolved or None) of the service problem an order reveals, if any."""
    status = order["order_status"]
    if status in CALLED_OFF:
        # Olist records no cancellation time: the last thing known to have happened to the order
        # is the best bound, and calling the order off also ends the problem (the money goes back).
        known = [
            order["order_delivered_customer_date"],
            order["order_delivered_carrier_date"],
            order["order_approved_at"],
            order["order_purchase_timestamp"],
        ]
        at = local_time(next(value for value in known if value))
        return CALLED_OFF[status], at, at
    # The estimate is a calendar day: the delivery is late once that day is over.
    overdue_at = local_time(order["order_estimated_delivery_date"]) + dt.timedelta(days=1)
    delivered = local_time(order["order_delivered_customer_date"])
    if delivered is not None:
        return ("late_delivery", overdue_at, delivered) if delivered >= overdue_at else None
    if status in OPEN_STATUSES and overdue_at <= cut:
        return "late_delivery", overdue_at, None
    return None


def olist_read(directory: Path) -> OlistData:
    people, profiles = _people(directory)
    orders = list(olist_rows(directory, "orders"))
    reviews = list(olist_rows(directory, "order_reviews"))
    cut = _cut(orders, reviews)
    data = OlistData(customers=list(profiles.values()), orders=len(orders), cut=cut)
    totals = _OrderTotals.read(directory)
    owner = {}
    for order in orders:
        order_id, customer = order["order_id"], people[order["customer_id"]]
        owner[order_id] = customer
        amount = totals.paid[order_id].quantize(Decimal("0.01"))
        if order["order_status"] not in CALLED_OFF:
            profiles[customer]["lifetime_value"] += amount
        data.signals.append(_purchase(order, customer, amount, totals))
        data.signals += _problem_signals(order, customer, cut)
    for review in reviews:
        data.signals += _review_signals(review, owner[review["order_id"]])
    for profile in data.customers:
        profile["lifetime_value"] = str(profile["lifetime_value"])
    return data


def _people(directory: Path) -> tuple[dict[str, str], dict[str, dict]]:
    """customer_id (one per order) -> the person's external id; external id -> their profile."""
    people = {}
    profiles: dict[str, dict] = {}
    for row in olist_rows(directory, "customers"):
        external_id = f"olist:{row['customer_unique_id']}"
        people[row["customer_id"]] = external_id
        # A person who ordered twice appears twice; the two rows agree on everything but customer_id.
        profiles.setdefault(
            external_id,
            {
                "external_id": external_id,
                "segment": "consumer",
                "region": row["customer_state"],
                "timezone": TIMEZONE,
                "attributes": {"city": row["customer_city"], "zip_code_prefix": row["customer_zip_code_prefix"]},
                "consent": {"email": True},
                "lifetime_value": Decimal("0"),
            },
        )
    return people, profiles


def _cut(orders: list[dict[str, str]], reviews: list[dict[str, str]]) -> dt.datetime:
    """The latest moment the orders and reviews know of (an estimate is a promise, not a moment known)."""
    known = [
        local_time(value)
        for order in orders
        for name, value in order.items()
        if value and name.endswith(("_timestamp", "_at", "_date")) and name != "order_estimated_delivery_date"
    ]
    known += [local_time(review["review_answer_timestamp"]) for review in reviews]
    return max(known)


@dataclass
class _OrderTotals:
    """Per order id: the amount paid, the payment types, the number of items."""

    paid: dict[str, Decimal]
    payment_types: dict[str, set[str]]
    items: dict[str, int]

    @classmethod
    def read(cls, directory: Path) -> _OrderTotals:
        totals = cls(paid=defaultdict(Decimal), payment_types=defaultdict(set), items=defaultdict(int))
        for row in olist_rows(directory, "order_payments"):
            totals.paid[row["order_id"]] += Decimal(row["payment_value"])
            totals.payment_types[row["order_id"]].add(row["payment_type"])
        for row in olist_rows(directory, "order_items"):
            totals.items[row["order_id"]] += 1
        return totals


def _purchase(order: dict[str, str], customer: str, amount: Decimal, totals: _OrderTotals) -> dict:
    order_id = order["order_id"]
    return _signal(
        customer,
        "purchase",
        local_time(order["order_purchase_timestamp"]),
        f"order:{order_id}:purchase",
        team="sales",
        amount=str(amount),
        payload={
            "order_id": order_id,
            "status": order["order_status"],
            "items": totals.items[order_id],
            "payment_types": sorted(totals.payment_types[order_id]),
        },
    )


def _problem_signals(order: dict[str, str], customer: str, cut: dt.datetime) -> list[dict]:
    """The ticket of the service problem the order reveals (opened, and resolved when it was), if any."""
    problem = _problem(order, cut)
    if problem is None:
        return []
    issue_key, opened, resolved = problem
    order_id = order["order_id"]
    ticket = {"team": "service", "ticket_ref": order_id, "issue_key": issue_key}
    payload = {"order_id": order_id, "status": order["order_status"]}
    if issue_key == "late_delivery":
        payload["estimated_delivery"] = order["order_estimated_delivery_date"][:10]
    severity = "normal" if issue_key == "late_delivery" else "high"
    key = f"order:{order_id}:{issue_key}"
    signals = [
        _signal(customer, "ticket_opened", opened, f"{key}:opened", severity=severity, payload=payload, **ticket)
    ]
    if resolved is not None:
        signals.append(_signal(customer, "ticket_resolved", resolved, f"{key}:resolved", payload=payload, **ticket))
    return signals


def _review_signals(review: dict[str, str], customer: str) -> list[dict]:
    """The survey answer, and a complaint when a low score comes with words."""
    # review_id alone repeats across orders in Olist; the pair is unique.
    review_id, order_id = review["review_id"], review["order_id"]
    score = int(review["review_score"])
    # The survey is sent at review_creation_date; the customer's answer is review_answer_timestamp.
    answered = local_time(review["review_answer_timestamp"])
    base = {"review_id": review_id, "order_id": order_id, "sent_at": review["review_creation_date"]}
    key = f"review:{review_id}:{order_id}"
    signals = [
        _signal(
            customer,
            "survey_response",
            answered,
            f"{key}:survey",
            team="research",
            category="survey",
            score=score,
            scale=5,
            payload=base,
        )
    ]
    title, comment = review["review_comment_title"].strip(), review["review_comment_message"].strip()
    if score <= LOW_SCORE and (title or comment):
        complaint = {**base, "score": score, "title": title, "comment": comment}
        signals.append(_signal(customer, "complaint", answered, f"{key}:complaint", team="service", payload=complaint))
    return signals
