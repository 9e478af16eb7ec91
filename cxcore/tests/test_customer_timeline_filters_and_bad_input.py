"""The timeline filtered by kind, channel and team, on the API and the customer page; a bad filter or cursor
is a 400 naming it (API) or a page that says so (console), never a 500 or a page that is not what was asked."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from cxcore.factories import CustomerFactory, SignalFactory

T0 = dt.datetime(2024, 5, 1, 9, 0, tzinfo=dt.UTC)
URL = "/api/v1/customers/M-F/signals"


@pytest.fixture
def customer(db):
    customer = CustomerFactory(external_id="M-F")
    rows = [
        ("purchase", "email", "sales"),
        ("complaint", "phone", "service"),
        ("complaint", "email", "service"),
        ("contact", "sms", "cx"),
        ("webinar_attended", "", ""),  # a kind with no meaning is stored, shown and filtered like the others
    ]
    for i, (kind, channel, team) in enumerate(rows):
        SignalFactory(customer=customer, kind=kind, channel=channel, team=team, occurred_at=T0 + dt.timedelta(hours=i))
    return customer


def kinds_of(signals):
    return [(s["kind"], s["channel"], s["team"]) for s in signals]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "complaint"}, [("complaint", "email", "service"), ("complaint", "phone", "service")]),
        ({"kind": "purchase,contact"}, [("contact", "sms", "cx"), ("purchase", "email", "sales")]),
        ({"kind": ["purchase", "contact"]}, [("contact", "sms", "cx"), ("purchase", "email", "sales")]),
        ({"channel": "email"}, [("complaint", "email", "service"), ("purchase", "email", "sales")]),
        ({"team": "service", "channel": "phone"}, [("complaint", "phone", "service")]),
        ({"kind": "webinar_attended"}, [("webinar_attended", "", "")]),
        ({"kind": "refund_requested"}, []),
        ({"kind": "complaint", "team": "cx"}, []),
    ],
)
def test_the_api_filters(api, make_token, customer, params, expected):
    response = api(make_token("read")).get(URL, **params)

    assert response.status_code == 200
    assert kinds_of(response.json()["signals"]) == expected


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"channel": "telegraph"}, "channel"),
        ({"team": "nobody"}, "team"),
        ({"kind": "x" * 41}, "kind"),
        ({"kind": ",".join(f"k{i}" for i in range(21))}, "kind"),
        ({"before": "yesterday"}, "before"),
        ({"before": "1714554000000000"}, "before"),
        ({"before": "-99999999999999999_1"}, "before"),
        ({"before": "1714554000000000_99999999999999999999"}, "before"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"page": "2"}, "page"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(api, make_token, customer, params, field):
    response = api(make_token("read")).get(URL, **params)

    assert response.status_code == 400
    assert field in [error["field"] for error in response.json()["errors"]]


def test_every_bad_parameter_is_named_at_once(api, make_token, customer):
    response = api(make_token("read")).get(URL, channel="telegraph", before="nowhere", limit="-1")

    assert response.status_code == 400
    assert sorted(error["field"] for error in response.json()["errors"]) == ["before", "channel", "limit"]


def test_an_unknown_customer_is_a_404_and_reading_needs_the_read_scope(api, make_token, client, outsider, customer):
    assert api(make_token("read")).get("/api/v1/customers/nobody/signals").status_code == 404
    assert api(None).get(URL).status_code == 401
    assert api(make_token("ingest")).get(URL).status_code == 403
    client.force_login(outsider)
    assert client.get(URL).status_code == 403


def test_the_page_filters_and_keeps_the_filters_in_its_links(client, agent, customer):
    client.force_login(agent)

    response = client.get(reverse("customer", args=["M-F"]), {"kind": "complaint", "limit": "1"})

    assert response.status_code == 200
    assert kinds_of(response.context["signals"]) == [("complaint", "email", "service")]
    html = response.content.decode()
    assert '<option value="complaint" selected>' in html
    more = parse_qs(urlsplit(response.context["next_url"]).query)
    assert more["kind"] == ["complaint"] and more["before"]
    following = client.get(reverse("customer", args=["M-F"]) + response.context["next_url"] + "&limit=1")
    assert kinds_of(following.context["signals"]) == [("complaint", "phone", "service")]
    assert following.context["next_url"] is None


def test_the_page_says_what_is_wrong_with_a_bad_address(client, agent, customer):
    client.force_login(agent)

    response = client.get(reverse("customer", args=["M-F"]), {"before": "garbage", "channel": "telegraph"})

    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="timeline-problem"' in html
    assert "before" in html and "Unknown channel key" in html
    # The rest of the page is there, with the newest signals of every kind.
    assert "M-F" in html
    assert len(response.context["signals"]) == 5


def test_htmx_gets_the_timeline_or_the_next_page_alone(client, agent, customer):
    client.force_login(agent)
    url = reverse("customer", args=["M-F"])

    timeline = client.get(url, {"kind": "complaint"}, headers={"HX-Request": "true", "HX-Target": "timeline"})
    more = client.get(url, {"limit": "2"}, headers={"HX-Request": "true", "HX-Target": "timeline-more"})
    restore = client.get(url, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})

    assert timeline.content.decode().lstrip().startswith('<div id="timeline"')
    assert timeline.content.decode().count('data-testid="signal"') == 2
    items = more.content.decode()
    assert "<html" not in items and "<ol" not in items
    assert items.count('data-testid="signal"') == 2 and 'id="timeline-more"' in items
    assert "<html" in restore.content.decode()  # Back without a snapshot needs the whole page
