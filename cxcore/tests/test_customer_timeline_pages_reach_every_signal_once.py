"""Following a customer's timeline page by page reaches every matching signal exactly once, newest first,
whatever the page size, the filters and however many signals share an instant."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxcore.factories import CustomerFactory, SignalFactory
from cxcore.models import Signal
from cxcore.selectors import TimelineCursor, TimelineQuery, customer_timeline

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2024, 5, 1, 9, 0, tzinfo=dt.UTC)
KINDS = ("purchase", "complaint", "contact")
CHANNELS = ("", "email", "sms")
TEAMS = ("", "cx", "service")
_customers = itertools.count()

# Few instants for many signals: most pages end inside a run of signals of the same instant.
signal = st.fixed_dictionaries(
    {
        "minute": st.integers(min_value=0, max_value=4),
        "micros": st.sampled_from([0, 0, 0, 1, 999_999]),
        "kind": st.sampled_from(KINDS),
        "channel": st.sampled_from(CHANNELS),
        "team": st.sampled_from(TEAMS),
    }
)


def subset(values):
    return st.lists(st.sampled_from(values), max_size=2, unique=True).map(tuple)


def store(customer, specs):
    Signal.objects.bulk_create(
        Signal(
            customer=customer,
            kind=spec["kind"],
            channel=spec["channel"],
            team=spec["team"],
            occurred_at=T0 + dt.timedelta(minutes=spec["minute"], microseconds=spec["micros"]),
            received_at=T0,
            source="prop",
            idempotency_key=f"{customer.pk}-{n}",
        )
        for n, spec in enumerate(specs)
    )


def walk(customer, query: TimelineQuery) -> list[list[int]]:
    pages, before = [], None
    while True:
        page = customer_timeline(customer_id=customer.pk, query=dataclasses.replace(query, before=before))
        pages.append([row["id"] for row in page.signals])
        if page.next is None:
            return pages
        # The cursor travels as text (a URL, the API's `next`).
        before = TimelineCursor.from_token(page.next.token())
        assert len(pages) <= 200, "the walk does not end"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    specs=st.lists(signal, max_size=30),
    limit=st.integers(min_value=1, max_value=7),
    kinds=subset(KINDS),
    channels=subset(CHANNELS),
    teams=subset(TEAMS),
)
def test_the_pages_hold_every_matching_signal_once_newest_first(specs, limit, kinds, channels, teams):
    customer = CustomerFactory(external_id=f"P-{next(_customers)}")
    other = CustomerFactory(external_id=f"P-{next(_customers)}")
    store(customer, specs)
    store(other, specs)  # another customer's signals at the same instants never appear
    query = TimelineQuery(kinds=kinds, channels=channels, teams=teams, limit=limit)

    pages = walk(customer, query)

    matching = Signal.objects.filter(customer=customer)
    for field, values in (("kind", kinds), ("channel", channels), ("team", teams)):
        if values:
            matching = matching.filter(**{f"{field}__in": values})
    expected = sorted(matching.values_list("occurred_at", "id"), reverse=True)
    assert [ident for page in pages for ident in page] == [ident for _, ident in expected]
    assert all(len(page) == limit for page in pages[:-1])
    assert len(pages[-1]) <= limit


def test_signals_arriving_between_pages_neither_repeat_nor_hide_older_ones(db):
    customer = CustomerFactory()
    old = [SignalFactory(customer=customer, occurred_at=T0 + dt.timedelta(minutes=i // 3)) for i in range(9)]
    first = customer_timeline(customer_id=customer.pk, query=TimelineQuery(limit=4))

    SignalFactory(customer=customer, occurred_at=T0 + dt.timedelta(days=1))  # newer than every page
    SignalFactory(customer=customer, occurred_at=T0 + dt.timedelta(minutes=2))  # a tie with the first page
    rest, before = [], first.next
    while before is not None:
        page = customer_timeline(customer_id=customer.pk, query=TimelineQuery(limit=4, before=before))
        rest += [row["id"] for row in page.signals]
        before = page.next

    seen = [row["id"] for row in first.signals] + rest
    assert len(seen) == len(set(seen))
    assert {signal.pk for signal in old} <= set(seen)


def test_the_api_pages_follow_next_to_the_end(api, make_token, db):
    customer = CustomerFactory(external_id="M-PAGES")
    for i in range(23):
        SignalFactory(customer=customer, occurred_at=T0 + dt.timedelta(minutes=i // 4))
    reader = api(make_token("read"))

    ids, params = [], {"limit": "5"}
    while True:
        response = reader.get("/api/v1/customers/M-PAGES/signals", **params)
        assert response.status_code == 200
        body = response.json()
        ids += [row["id"] for row in body["signals"]]
        if body["next"] is None:
            break
        params = {"limit": "5", "before": body["next"]}

    stored = Signal.objects.filter(customer=customer).order_by("-occurred_at", "-id")
    assert ids == list(stored.values_list("id", flat=True))


def test_the_360_view_gives_the_first_page_and_where_the_next_starts(api, make_token, db):
    customer = CustomerFactory(external_id="M-360")
    for i in range(60):
        SignalFactory(customer=customer, occurred_at=T0 + dt.timedelta(hours=i))
    reader = api(make_token("read"))

    view = reader.get("/api/v1/customers/M-360").json()
    rest = reader.get("/api/v1/customers/M-360/signals", before=view["signals_next"]).json()

    assert len(view["recent_signals"]) == 50
    assert len(rest["signals"]) == 10 and rest["next"] is None
    ids = [row["id"] for row in view["recent_signals"] + rest["signals"]]
    assert sorted(ids) == sorted(Signal.objects.filter(customer=customer).values_list("id", flat=True))


def test_the_360_view_as_of_a_past_time_pages_only_the_signals_up_to_then(api, make_token, db):
    customer = CustomerFactory(external_id="M-ASOF")
    for i in range(55):
        SignalFactory(customer=customer, occurred_at=T0 + dt.timedelta(hours=i))
    reader = api(make_token("read"))

    view = reader.get("/api/v1/customers/M-ASOF", at="2024-05-02T10:00:00Z").json()  # hours 0 to 25

    assert [row["occurred_at"][:13] for row in view["recent_signals"][:2]] == ["2024-05-02T10", "2024-05-02T09"]
    assert len(view["recent_signals"]) == 26 and view["signals_next"] is None
