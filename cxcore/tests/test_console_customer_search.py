from __future__ import annotations

from django.urls import reverse

from cxcore.factories import CustomerFactory


def test_search_matches_external_id_name_or_email(client, agent):
    CustomerFactory(external_id="C-ALPHA", name="Alpha Bakery", email="hello@alpha.example")
    CustomerFactory(external_id="C-BETA", name="Beta Garage", email="desk@beta.example")
    CustomerFactory(external_id="X-9", name="Gamma", email="gamma@garage.example")
    client.force_login(agent)

    def found(query):
        page = client.get(reverse("customers"), {"q": query}).context["page"]
        return sorted(customer.external_id for customer in page.object_list)

    assert found("c-al") == ["C-ALPHA"]
    assert found("garage") == ["C-BETA", "X-9"]
    assert found("desk@") == ["C-BETA"]
    assert found("nobody") == []


def test_htmx_request_gets_only_the_results_fragment(client, agent):
    CustomerFactory(external_id="C-ALPHA", name="Alpha Bakery")
    client.force_login(agent)

    response = client.get(reverse("customers"), {"q": "alpha"}, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="results"')
    assert "Alpha Bakery" in html
    assert "<nav" not in html and "<html" not in html


def test_full_page_holds_the_search_box_and_results(client, agent):
    CustomerFactory(external_id="C-ALPHA", name="Alpha Bakery")
    client.force_login(agent)

    html = client.get(reverse("customers"), {"q": "alpha"}).content.decode()

    assert 'name="q"' in html and 'value="alpha"' in html
    assert 'id="results"' in html and "Alpha Bakery" in html


def test_results_are_paginated(client, agent):
    CustomerFactory.create_batch(30)
    client.force_login(agent)

    first = client.get(reverse("customers")).context["page"]
    second = client.get(reverse("customers"), {"page": 2}).context["page"]

    assert len(first.object_list) == 25
    assert len(second.object_list) == 5
    assert not {c.pk for c in first.object_list} & {c.pk for c in second.object_list}


def test_the_list_runs_a_fixed_number_of_queries(client, agent, django_assert_max_num_queries):
    CustomerFactory.create_batch(25)
    client.force_login(agent)

    # session, user, groups (role check and top bar), team (top bar), count, one page of customers.
    with django_assert_max_num_queries(6):
        response = client.get(reverse("customers"))

    assert len(response.context["page"].object_list) == 25
