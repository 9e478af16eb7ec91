"""The customer list: stage, days in stage and open tickets per row; filters by stage and segment kept in the
URL and the pager's links; an unknown filter value said so; a stage's name searched offers its customers;
the same number of queries whatever the page holds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cxcore.factories import CustomerFactory
from cxcore.models import CustomerFacts
from membrane.models import CustomerStage

pytestmark = pytest.mark.django_db


def _hold(customer, stage: str, *, days: float, open_tickets: int | None = None):
    now = timezone.now()
    since = now - dt.timedelta(days=days)
    CustomerStage.objects.create(customer=customer, stage=stage, since=since, evaluated_through=now)
    if open_tickets is not None:
        # A stored facts row as a run writes it; the list reads its open tickets.
        values = {"DateTimeField": now, "BooleanField": True}
        row = {
            f.attname: values.get(f.get_internal_type(), 0) for f in CustomerFacts._meta.concrete_fields if not f.null
        }
        row |= {"customer_id": customer.pk, "open_tickets": open_tickets}
        CustomerFacts.objects.create(**row)


def _ids(response):
    return [row.customer.external_id for row in response.context["listed"].rows]


def test_each_row_shows_stage_days_in_stage_and_open_tickets(client, agent):
    _hold(CustomerFactory(external_id="m-1", name="Merchant"), "crisis", days=3.4, open_tickets=2)
    CustomerFactory(external_id="n-1", name="Newcomer")
    client.force_login(agent)

    response = client.get(reverse("customers"))

    html = response.content.decode()
    assert "<th>Stage</th><th>Days in stage</th>" in html
    row = html[html.index("m-1</a>") : html.index("n-1</a>")]
    assert 'badge-stage-crisis">crisis</span>' in row
    assert '<td data-label="Days in stage" class="num">3</td>' in row
    assert '<td data-label="Open tickets" class="num">2</td>' in row
    newcomer = html[html.index("n-1</a>") :]
    assert "not evaluated" in newcomer


def test_filters_by_stage_and_segment_and_the_pager_keeps_them(client, agent):
    for i in range(27):
        _hold(CustomerFactory(external_id=f"c-{i:02d}", segment="smb"), "crisis", days=1)
    _hold(CustomerFactory(external_id="e-1", segment="enterprise"), "crisis", days=1)
    _hold(CustomerFactory(external_id="l-1", segment="smb"), "loyal", days=9)
    client.force_login(agent)

    response = client.get(reverse("customers"), {"stage": "crisis", "segment": "smb"})

    assert response.status_code == 200
    assert _ids(response) == [f"c-{i:02d}" for i in range(25)]
    html = response.content.decode()
    # The count goes as far as the page needs: past the first page's end, "more than" it.
    assert "more than 25 customers · page 1<" in html
    assert 'href="?stage=crisis&amp;segment=smb&amp;page=2"' in html
    assert '<option value="crisis" selected>' in html and '<option value="smb" selected>' in html
    second = client.get(reverse("customers"), {"stage": "crisis", "segment": "smb", "page": 2})
    assert _ids(second) == ["c-25", "c-26"]
    assert "27 customers · page 2 of 2" in second.content.decode()
    assert _ids(client.get(reverse("customers"), {"stage": "loyal"})) == ["l-1"]
    assert _ids(client.get(reverse("customers"), {"segment": "enterprise"})) == ["e-1"]


@pytest.mark.parametrize(
    ("params", "said"),
    [
        ({"stage": "zzz"}, "There is no stage “zzz”"),
        ({"segment": "zzz", "q": "c"}, "There is no segment “zzz”; the known ones: smb."),
    ],
)
def test_an_unknown_filter_value_is_said_not_ignored(client, agent, params, said):
    _hold(CustomerFactory(external_id="c-1", segment="smb"), "crisis", days=1)
    client.force_login(agent)

    response = client.get(reverse("customers"), params)

    assert response.status_code == 400
    html = response.content.decode()
    assert said in html
    assert "c-1</a>" not in html


def test_searching_a_stage_name_offers_that_stage(client, agent):
    _hold(CustomerFactory(external_id="c-1"), "crisis", days=1)
    client.force_login(agent)

    response = client.get(reverse("customers"), {"q": "Crisis"})

    html = response.content.decode()
    assert "“Crisis” is a stage:" in html
    assert '<a href="?stage=crisis" data-row-link>show the customers in' in html
    assert _ids(client.get(reverse("customers"), {"stage": "crisis"})) == ["c-1"]


def test_the_list_runs_the_same_number_of_queries_whatever_the_page_holds(client, agent):
    client.force_login(agent)
    for i in range(3):
        _hold(CustomerFactory(external_id=f"a-{i:02d}", segment="smb"), "crisis", days=i, open_tickets=i)
    client.get(reverse("customers"))
    with CaptureQueriesContext(connection) as few:
        assert len(_ids(client.get(reverse("customers"), {"stage": "crisis"}))) == 3
    for i in range(3, 40):
        _hold(CustomerFactory(external_id=f"a-{i:02d}", segment="smb"), "crisis", days=i, open_tickets=i)
    with CaptureQueriesContext(connection) as many:
        assert len(_ids(client.get(reverse("customers"), {"stage": "crisis"}))) == 25

    assert len(many.captured_queries) == len(few.captured_queries)
