"""The shared Olist subset imports whole; two customers checked against their raw rows."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from cxcore.importers.olist import TABLES, olist_default_dir
from cxcore.models import Customer, Signal

OLIST = olist_default_dir()

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not all((OLIST / f"olist_{t}_dataset.csv.gz").is_file() for t in TABLES), reason=f"no Olist data in {OLIST}"
    ),
]

BRT = dt.timezone(dt.timedelta(hours=-3))  # São Paulo in March and August 2018 (no summer time)


def signals(external_id: str) -> list[tuple]:
    return list(
        Signal.objects.filter(customer__external_id=external_id)
        .order_by("occurred_at", "kind", "ticket_ref")
        .values_list("kind", "occurred_at", "ticket_ref", "issue_key", "severity", "amount", "score", "scale")
    )


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=BRT).astimezone(dt.UTC)


def test_the_whole_subset_imports_and_matches_the_raw_rows():
    out = io.StringIO()
    call_command("import_olist", stdout=out)

    assert Customer.objects.filter(external_id__startswith="olist:").count() == 8016
    purchases = Signal.objects.filter(source="olist", kind="purchase")
    assert purchases.count() == 8135
    assert purchases.values("payload__order_id").distinct().count() == 8135
    assert Signal.objects.filter(source="olist").count() == 23497

    # customers: 6f94b1ea17a3f9a486ba749dc9b72959,ef3b6ab8a1704ead096adbcdee78284b,18075,sorocaba,SP
    # orders: eb09635680fadffb33358e40b05c9029,6f94b1ea...,delivered,2018-03-10 19:52:26,2018-03-10 20:47:32,
    #         2018-03-15 21:33:51,2018-03-31 15:23:33,2018-03-28 00:00:00
    # payments: credit_card 112.27, voucher 100.0
    # review 16e57970...: score 1, no title, "Fiz o pedido dia 10/03, ... ainda não recebi meu produto. Decepção
    #         total!", created 2018-03-30 00:00:00, answered 2018-03-30 11:44:41
    a = Customer.objects.get(external_id="olist:ef3b6ab8a1704ead096adbcdee78284b")
    assert (a.region, a.attributes, a.lifetime_value) == (
        "SP",
        {"city": "sorocaba", "zip_code_prefix": "18075"},
        Decimal("212.27"),
    )
    order = "eb09635680fadffb33358e40b05c9029"
    assert signals(a.external_id) == [
        ("purchase", at("2018-03-10 19:52:26"), "", "", "", Decimal("212.27"), None, None),
        ("ticket_opened", at("2018-03-29 00:00:00"), order, "late_delivery", "normal", None, None, None),
        ("complaint", at("2018-03-30 11:44:41"), "", "", "", None, None, None),
        ("survey_response", at("2018-03-30 11:44:41"), "", "", "", None, Decimal("1.00"), 5),
        ("ticket_resolved", at("2018-03-31 15:23:33"), order, "late_delivery", "", None, None, None),
    ]
    complaint = a.signals.get(kind="complaint")
    assert complaint.payload["comment"].startswith("Fiz o pedido dia 10/03")
    assert complaint.payload["comment"].endswith("Decepção total!")

    # customers: 209e7cf8adaf4498f82df1fe2b8c25e7 and c2a1740e781cc978dbab71735cf3ce84, both
    #            91544d22848a922381b73b5e21ad58ff,08072,sao paulo,SP
    # orders: 57a7b18332c1b9b26d96e35379af3a38,209e7cf8...,shipped,2018-08-06 19:25:14,2018-08-08 04:35:15,
    #         2018-08-17 14:32:00,,2018-08-22 00:00:00
    #         bb8edfe0742a6a0279b7dff848289568,c2a1740e...,canceled,2018-08-30 10:24:34,,,,2018-09-18 00:00:00
    # payments: boleto 72.98 (57a7...), voucher 72.98 (bb8e...)
    # reviews: e5b48a584cec8406e2722967491b4627 on both orders: score 1, "Zero", "Eu não recebi meu produto\n",
    #          created 2018-08-26 00:00:00, answered 2018-08-26 23:39:07
    b = Customer.objects.get(external_id="olist:91544d22848a922381b73b5e21ad58ff")
    assert (b.region, b.attributes["city"], b.lifetime_value) == ("SP", "sao paulo", Decimal("72.98"))
    shipped, canceled = "57a7b18332c1b9b26d96e35379af3a38", "bb8edfe0742a6a0279b7dff848289568"
    assert signals(b.external_id) == [
        ("purchase", at("2018-08-06 19:25:14"), "", "", "", Decimal("72.98"), None, None),
        ("ticket_opened", at("2018-08-23 00:00:00"), shipped, "late_delivery", "normal", None, None, None),
        ("complaint", at("2018-08-26 23:39:07"), "", "", "", None, None, None),
        ("complaint", at("2018-08-26 23:39:07"), "", "", "", None, None, None),
        ("survey_response", at("2018-08-26 23:39:07"), "", "", "", None, Decimal("1.00"), 5),
        ("survey_response", at("2018-08-26 23:39:07"), "", "", "", None, Decimal("1.00"), 5),
        ("purchase", at("2018-08-30 10:24:34"), "", "", "", Decimal("72.98"), None, None),
        ("ticket_opened", at("2018-08-30 10:24:34"), canceled, "order_canceled", "high", None, None, None),
        ("ticket_resolved", at("2018-08-30 10:24:34"), canceled, "order_canceled", "", None, None, None),
    ]
    assert {s.payload["title"] for s in b.signals.filter(kind="complaint")} == {"Zero"}
    assert {s.payload["comment"] for s in b.signals.filter(kind="complaint")} == {"Eu não recebi meu produto"}
