"""Every paged list of the console ends in the one pager (templates/_pager.html): the count of what it lists,
the page, and links that keep the list's query (and, in the customer search, swap the results with htmx)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertTemplateUsed

from cxcore.factories import CustomerFactory
from membrane.models import CustomerStage, DecisionLog

pytestmark = pytest.mark.django_db


def test_the_customer_search_keeps_its_query_and_swaps_the_results(client, agent):
    CustomerFactory.create_batch(26, name="Corner Café")
    client.force_login(agent)

    response = client.get(reverse("customers"), {"q": "Corner Café", "page": 2})

    assertTemplateUsed(response, "_pager.html")
    html = response.content.decode()
    assert "26 customers matching “Corner Café” · page 2 of 2" in html
    link = "?q=Corner%20Caf%C3%A9&amp;page=1"
    assert (
        f'<a class="button button-quiet" href="{link}" hx-get="{link}" hx-target="#results" hx-swap="outerHTML"'
        ' hx-push-url="true">← Previous</a>'
    ) in html
    assert "Next →" not in html


def test_the_decision_log_keeps_its_verdict(client, agent):
    customer = CustomerFactory()
    now = timezone.now()
    for _ in range(51):
        DecisionLog.objects.create(
            customer=customer,
            team="service",
            category="marketing",
            channel="email",
            at=now,
            decided_at=now,
            verdict="allow",
        )
    client.force_login(agent)

    response = client.get(reverse("decisions"), {"verdict": "allow"})

    assertTemplateUsed(response, "_pager.html")
    html = response.content.decode()
    assert "51 decisions · page 1 of 2" in html
    assert '<a class="button button-quiet" href="?verdict=allow&amp;page=2">Older →</a>' in html
    assert "← Newer" not in html


def test_the_holders_of_a_stage_page_on(client, agent):
    now = timezone.now()
    for customer in CustomerFactory.create_batch(51):
        CustomerStage.objects.create(customer=customer, stage="crisis", since=now, evaluated_through=now)
    client.force_login(agent)

    response = client.get(reverse("stage-customers", args=["crisis"]), {"page": 2})

    assertTemplateUsed(response, "_pager.html")
    html = response.content.decode()
    assert "51 customers · page 2 of 2" in html
    assert '<a class="button button-quiet" href="?page=1">← Longer in the stage</a>' in html
    assert "More recent →" not in html
