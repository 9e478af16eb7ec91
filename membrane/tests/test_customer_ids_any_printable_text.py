"""External ids are the source system's text: every page and endpoint works with any printable id
(URL-encoded), and what no URL can carry is refused at ingest with a 400 naming index and field."""

from __future__ import annotations

import datetime as dt
import html
import re
from urllib.parse import quote

from django.urls import reverse
from django.utils import timezone

from cxcore.models import Customer, Signal
from membrane.models.decisions import AgentTask
from membrane.models.principles import PrincipleVersion
from membrane.runs.services import stages_evaluate_changed

from .stage_helpers import NOW

IDS = [
    "ACME/123",
    "ACME/",
    "/lead",
    "a//b",
    "v1.2/...",
    "with space",
    "what?",
    "hash#tag",
    "100%",
    "%2F",
    "ünïcødé 顧客",
    'say "hi" it\'s',
    "<b>&amp;",
    "back\\slash",
    "+plus=&semi;",
    "x" * 100,
]


def links_to_customers(body: str) -> dict[str, str]:
    """external id shown -> href, of every link to a customer's page."""
    pairs = re.findall(r'<a[^>]*href="(/customers/[^"]+)"[^>]*>([^<]*)</a>', body)
    return {html.unescape(text): html.unescape(href) for href, text in pairs}


def test_every_page_and_endpoint_works_with_any_printable_id(client, api, make_token, agent):
    ticket = {"kind": "ticket_opened", "occurred_at": (NOW - dt.timedelta(days=2)).isoformat(), "ticket_ref": "T1"}
    sent = api(make_token("ingest")).post("/api/v1/signals", {"signals": [{"customer": i, **ticket} for i in IDS]})
    assert sent.status_code == 201, sent.content
    run = stages_evaluate_changed(at=NOW)
    decide = api(make_token("decide"))
    for external_id in IDS:
        question = {"customer": external_id, "team": "sales", "category": "upsell", "channel": "email"}
        assert decide.post("/api/v1/decisions", question).status_code == 200
    version = PrincipleVersion.objects.select_related("principle").filter(status="published").first()
    now = timezone.now()
    for customer in Customer.objects.all():
        AgentTask.objects.create(
            customer=customer,
            principle=version.principle,
            version=version,
            kind="agent_contact",
            team="service",
            opened_at=now,
            due_at=now + dt.timedelta(hours=1),
        )
    client.force_login(agent)

    pages = [
        reverse("customers"),
        reverse("decisions"),
        reverse("stage-customers", args=["crisis"]),
        reverse("actions"),
        reverse("run", args=[run.pk]),
    ]
    linked: dict[str, str] = {}
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, (page, response.content[:300])
        links = links_to_customers(response.content.decode())
        assert links, page
        linked.update(links)
    assert set(linked) == set(IDS)

    read, write = api(make_token("read")), api(make_token("ingest"))
    for external_id, href in linked.items():
        page = client.get(href)
        assert page.status_code == 200, (external_id, href)
        assert page.context["customer"].external_id == external_id
        encoded = "/api/v1/customers/" + quote(external_id, safe="")
        got = read.get(encoded)
        assert got.status_code == 200, (external_id, encoded, got.content[:200])
        assert got.json()["customer"] == external_id
        assert write.put(encoded, {"segment": "smb"}).status_code == 200
    assert Customer.objects.filter(segment="smb").count() == len(IDS)


def test_what_no_url_can_carry_is_refused_naming_index_and_field(api, make_token):
    unreachable = ["line\nbreak", "tab\there", "bell\x07", "del\x7f", "c1\x85", "..", ".", "a/../b", "x/.", "./y"]
    client = api(make_token("ingest"))
    at = NOW.isoformat()
    items = [{"customer": "fine", "kind": "complaint", "occurred_at": at}]
    items += [{"customer": bad, "kind": "complaint", "occurred_at": at} for bad in unreachable]

    response = client.post("/api/v1/signals", {"signals": items})

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["index"], e["field"]) for e in errors] == [(n, "customer") for n in range(1, len(items))]
    assert "control character" in errors[0]["message"] and '".."' in errors[-1]["message"]
    assert not Signal.objects.exists() and not Customer.objects.exists()
    for bad in unreachable:
        put = client.put("/api/v1/customers/" + quote(bad, safe=""), {"segment": "smb"})
        assert put.status_code == 400, bad
        assert [(e["index"], e["field"]) for e in put.json()["errors"]] == [(None, "external_id")]
    assert not Customer.objects.exists()
