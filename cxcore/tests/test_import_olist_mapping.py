"""The Olist rows -> customers and signals mapping, on a tiny hand-written dataset."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cxcore.importers.olist import olist_read

SP = ZoneInfo("America/Sao_Paulo")

COLUMNS = {
    "customers": ["customer_id", "customer_unique_id", "customer_zip_code_prefix", "customer_city", "customer_state"],
    "orders": [
        "order_id",
        "customer_id",
        "order_status",
        "order_purchase_timestamp",
        "order_approved_at",
        "order_delivered_carrier_date",
        "order_delivered_customer_date",
        "order_estimated_delivery_date",
    ],
    "order_payments": ["order_id", "payment_sequential", "payment_type", "payment_installments", "payment_value"],
    "order_items": [
        "order_id",
        "order_item_id",
        "product_id",
        "seller_id",
        "shipping_limit_date",
        "price",
        "freight_value",
    ],
    "order_reviews": [
        "review_id",
        "order_id",
        "review_score",
        "review_comment_title",
        "review_comment_message",
        "review_creation_date",
        "review_answer_timestamp",
    ],
}

# Person p1 ordered twice (o1 late, o2 canceled), p2 once (o3 on time, delivered on the estimated day),
# p3 once (o4 shipped and never delivered), p4 once (o5 shipped, estimate after the data ends).
CUSTOMERS = [
    ["c1", "p1", "01001", "sao paulo", "SP"],
    ["c2", "p1", "01001", "sao paulo", "SP"],
    ["c3", "p2", "20231", "rio de janeiro", "RJ"],
    ["c4", "p3", "35182", "timoteo", "MG"],
    ["c5", "p4", "35182", "timoteo", "MG"],
]
ORDERS = [
    row.split(",")
    for row in [
        "o1,c1,delivered,2018-01-02 10:00:00,2018-01-02 11:00:00,2018-01-03 09:00:00,2018-01-20 15:30:00,2018-01-15",
        "o2,c2,canceled,2018-02-01 08:00:00,2018-02-01 09:30:00,,,2018-02-20 00:00:00",
        "o3,c3,delivered,2018-03-01 12:00:00,2018-03-01 12:10:00,2018-03-02 10:00:00,2018-03-10 18:00:00,2018-03-10",
        "o4,c4,shipped,2018-04-01 12:00:00,2018-04-01 13:00:00,2018-04-03 10:00:00,,2018-04-25 00:00:00",
        "o5,c5,shipped,2018-06-01 12:00:00,2018-06-01 13:00:00,2018-06-02 10:00:00,,2018-07-30 00:00:00",
    ]
]
PAYMENTS = [
    ["o1", "1", "credit_card", "3", "100.5"],
    ["o1", "2", "voucher", "1", "20.25"],
    ["o2", "1", "boleto", "1", "50.0"],
    ["o3", "1", "credit_card", "1", "30.0"],
    ["o4", "1", "credit_card", "1", "40.0"],
    ["o5", "1", "credit_card", "1", "10.0"],
]
ITEMS = [["o1", "1", "prod", "seller", "2018-01-05 00:00:00", "100.0", "20.75"]]
REVIEWS = [
    ["r1", "o1", "1", "Atrasou", "Chegou muito\ndepois do prazo", "2018-01-21 00:00:00", "2018-01-23 08:15:00"],
    ["r2", "o3", "5", "", "", "2018-03-11 00:00:00", "2018-03-12 10:00:00"],
    # The same review id on another order: Olist has these; the pair is the identity.
    ["r2", "o2", "2", "", "", "2018-06-30 00:00:00", "2018-07-01 10:00:00"],
]


def write_olist(directory: Path, **tables: list[list[str]]) -> Path:
    rows = {
        "customers": CUSTOMERS,
        "orders": ORDERS,
        "order_payments": PAYMENTS,
        "order_items": ITEMS,
        "order_reviews": REVIEWS,
        **tables,
    }
    for table, columns in COLUMNS.items():
        with gzip.open(directory / f"olist_{table}_dataset.csv.gz", "wt", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns)
            writer.writerows(rows[table])
    return directory


@pytest.fixture
def data(tmp_path):
    return olist_read(write_olist(tmp_path))


def signals_of(data, **match):
    return [s for s in data.signals if all(s.get(k) == v for k, v in match.items())]


def at(value: str) -> str:
    return dt.datetime.fromisoformat(value).replace(tzinfo=SP).isoformat()


def test_one_customer_per_person_with_state_city_and_email_consent(data):
    people = {c["external_id"]: c for c in data.customers}
    assert sorted(people) == ["olist:p1", "olist:p2", "olist:p3", "olist:p4"]
    p1 = people["olist:p1"]
    assert (p1["region"], p1["segment"], p1["timezone"]) == ("SP", "consumer", "America/Sao_Paulo")
    assert p1["attributes"] == {"city": "sao paulo", "zip_code_prefix": "01001"}
    assert p1["consent"] == {"email": True}
    # The canceled order o2 was not paid for in the end.
    assert p1["lifetime_value"] == "120.75"
    assert data.orders == 5


def test_orders_are_purchases_of_the_sum_of_payments_in_sao_paulo_time(data):
    [purchase] = signals_of(data, kind="purchase", customer="olist:p1", amount="120.75")
    assert purchase["occurred_at"] == "2018-01-02T10:00:00-02:00"  # summer time in January 2018
    assert purchase["idempotency_key"] == "order:o1:purchase"
    assert purchase["team"] == "sales"
    assert purchase["payload"]["order_id"] == "o1" and purchase["payload"]["status"] == "delivered"
    assert len(signals_of(data, kind="purchase")) == 5


def test_late_delivery_opens_when_the_estimated_day_is_over_and_resolves_at_delivery(data):
    [opened] = signals_of(data, kind="ticket_opened", ticket_ref="o1")
    [resolved] = signals_of(data, kind="ticket_resolved", ticket_ref="o1")
    assert opened["issue_key"] == resolved["issue_key"] == "late_delivery"
    assert opened["severity"] == "normal"
    assert opened["occurred_at"] == at("2018-01-16 00:00:00")
    assert resolved["occurred_at"] == at("2018-01-20 15:30:00")


def test_delivery_on_the_estimated_day_is_on_time(data):
    assert signals_of(data, ticket_ref="o3") == []


def test_canceled_order_is_a_high_severity_problem_closed_by_the_cancellation(data):
    [opened] = signals_of(data, kind="ticket_opened", ticket_ref="o2")
    [resolved] = signals_of(data, kind="ticket_resolved", ticket_ref="o2")
    assert (opened["issue_key"], opened["severity"]) == ("order_canceled", "high")
    assert opened["occurred_at"] == resolved["occurred_at"] == at("2018-02-01 09:30:00")


def test_undelivered_order_past_its_estimate_stays_open_and_one_not_yet_due_is_no_problem(data):
    [opened] = signals_of(data, kind="ticket_opened", ticket_ref="o4")
    assert opened["issue_key"] == "late_delivery"
    assert signals_of(data, kind="ticket_resolved", ticket_ref="o4") == []
    # o5's estimate (2018-07-30) lies after the last thing the data knows (2018-07-01 10:00).
    assert signals_of(data, ticket_ref="o5") == []


def test_reviews_are_survey_responses_and_low_scores_with_a_comment_complaints(data):
    surveys = signals_of(data, kind="survey_response")
    assert len(surveys) == 3
    [r1] = signals_of(data, kind="survey_response", customer="olist:p1", score=1)
    assert (r1["scale"], r1["occurred_at"]) == (5, at("2018-01-23 08:15:00"))
    [complaint] = signals_of(data, kind="complaint")
    assert complaint["payload"]["comment"] == "Chegou muito\ndepois do prazo"
    assert complaint["payload"]["title"] == "Atrasou"
    assert complaint["idempotency_key"] == "review:r1:o1:complaint"
    # r2 on o2 scored 2 without a comment: a survey response, no complaint.
    assert len(signals_of(data, kind="survey_response", customer="olist:p1")) == 2


def test_every_signal_has_a_unique_idempotency_key(data):
    keys = [s["idempotency_key"] for s in data.signals]
    assert len(keys) == len(set(keys)) == 5 + 3 + 2 + 3 + 1
