"""Every view of a customer's 360° page and every API read of a customer is recorded, who and when, in one
INSERT (issue 18); CX managers and admins see the latest views on the page, nobody else does."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cxcore.factories import CustomerFactory
from cxcore.models import CustomerViewRecord
from cxcore.privacy import VIEWS_SHOWN

# The users come from fixtures asked for by name (request.getfixturevalue), which pytest-django does not see:
# marked, these tests run with the database tests, before any transactional test has flushed the seeded rows.
pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(db):
    return CustomerFactory(external_id="M-1", name="Café Nord")


def _records(customer) -> list[tuple[str, str]]:
    return list(CustomerViewRecord.objects.filter(customer=customer).order_by("pk").values_list("viewer", "via"))


def test_a_page_view_is_one_insert_naming_the_viewer(client, agent, customer):
    client.force_login(agent)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("customer", args=["M-1"])).status_code == 200

    inserts = [q["sql"] for q in captured if q["sql"].startswith('INSERT INTO "cxcore_customerviewrecord"')]
    assert len(inserts) == 1
    assert _records(customer) == [("anna", "page")]
    assert "Viewed by" not in client.get(reverse("customer", args=["M-1"])).content.decode()


def test_the_timelines_own_pages_are_not_new_views(client, agent, customer):
    client.force_login(agent)
    client.get(reverse("customer", args=["M-1"]))

    response = client.get(
        reverse("customer", args=["M-1"]), {"kind": "purchase"}, headers={"HX-Request": "true", "HX-Target": "timeline"}
    )

    assert response.status_code == 200
    assert _records(customer) == [("anna", "page")]


def test_an_api_read_is_recorded_under_the_token_or_the_user(api, make_token, client, marketer, customer):
    assert api(make_token("read", name="crm-sync")).get("/api/v1/customers/M-1").status_code == 200
    client.force_login(marketer)
    assert client.get("/api/v1/customers/M-1").status_code == 200

    assert _records(customer) == [("token:crm-sync", "api"), ("mark", "api")]


def test_a_refused_or_unknown_read_records_nothing(api, make_token, client, outsider, customer):
    assert api(make_token("ingest")).get("/api/v1/customers/M-1").status_code == 403
    client.force_login(outsider)
    assert client.get(reverse("customer", args=["M-1"])).status_code == 403
    assert client.get(reverse("customer", args=["nobody"])).status_code in (403, 404)

    assert CustomerViewRecord.objects.count() == 0


def test_a_cx_manager_sees_who_viewed_newest_first(client, agent, marketer, cx_manager, api, make_token, customer):
    for user in (agent, marketer):
        client.force_login(user)
        client.get(reverse("customer", args=["M-1"]))
    api(make_token("read", name="crm-sync")).get("/api/v1/customers/M-1")
    client.force_login(cx_manager)

    response = client.get(reverse("customer", args=["M-1"]))

    html = response.content.decode()
    assert 'data-testid="viewed-by"' in html
    assert [r.viewer for r in response.context["viewed_by"]] == ["carla", "token:crm-sync", "mark", "anna"]
    assert html.index(">carla<") < html.index(">token:crm-sync<") < html.index(">mark<") < html.index(">anna<")


def test_the_section_lists_the_latest_views_only(client, cx_manager, customer):
    CustomerViewRecord.objects.bulk_create(
        CustomerViewRecord(customer=customer, viewer=f"user{n}", via="page") for n in range(VIEWS_SHOWN + 5)
    )
    client.force_login(cx_manager)

    viewed_by = client.get(reverse("customer", args=["M-1"])).context["viewed_by"]

    assert len(viewed_by) == VIEWS_SHOWN
    assert viewed_by[0].viewer == "carla"


@pytest.mark.parametrize("persona", ["agent", "marketer"])
def test_agents_and_marketers_do_not_see_the_views(client, request, persona, customer):
    client.force_login(request.getfixturevalue(persona))
    client.get(reverse("customer", args=["M-1"]))

    response = client.get(reverse("customer", args=["M-1"]))

    assert response.context["viewed_by"] is None
    assert "Viewed by" not in response.content.decode()


def test_the_views_page_filters_by_customer_and_viewer(client, agent, marketer, cx_manager, customer):
    other = CustomerFactory(external_id="M-2")
    for user, seen in ((agent, "M-1"), (marketer, "M-1"), (marketer, "M-2")):
        client.force_login(user)
        client.get(reverse("customer", args=[seen]))
    client.force_login(cx_manager)

    def listed(**params) -> list[tuple[str, str]]:
        response = client.get(reverse("customer-views"), params)
        assert response.status_code == 200
        return [(r.customer.external_id, r.viewer) for r in response.context["page"].object_list]

    assert listed() == [("M-2", "mark"), ("M-1", "mark"), ("M-1", "anna")]
    assert listed(customer="M-1") == [("M-1", "mark"), ("M-1", "anna")]
    assert listed(viewer="mark") == [("M-2", "mark"), ("M-1", "mark")]
    assert listed(customer=other.external_id, viewer="anna") == []


def test_the_views_page_refuses_an_unknown_customer_and_everyone_but_cx_managers(client, agent, marketer, cx_manager):
    client.force_login(cx_manager)
    response = client.get(reverse("customer-views"), {"customer": "nobody"})
    assert response.status_code == 400
    assert "There is no customer “nobody”" in response.content.decode()
    for user in (agent, marketer):
        client.force_login(user)
        assert client.get(reverse("customer-views")).status_code == 403
