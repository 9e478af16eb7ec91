"""The customer search: by the start of the external id, name, email or phone in any case, the phone by its
digits; live results as an htmx fragment; a search too long refused with a reason."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cxcore.customer_search import MAX_QUERY
from cxcore.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def found(client, agent):
    CustomerFactory(external_id="C-ALPHA", name="Alpha Bakery", email="hello@alpha.example", phone="+49 30 4242420")
    CustomerFactory(external_id="C-BETA", name="Beta Garage", email="desk@beta.example", phone="(030) 555-0101")
    CustomerFactory(external_id="X-9", name="Gamma", email="gamma@garage.example", phone="0049 30 1717170")
    client.force_login(agent)

    def search(query):
        response = client.get(reverse("customers"), {"q": query})
        assert response.status_code == 200
        return sorted(row.customer.external_id for row in response.context["listed"].rows)

    return search


def test_each_field_matches_from_its_start_in_any_case(found):
    assert found("c-al") == ["C-ALPHA"]
    assert found("C-") == ["C-ALPHA", "C-BETA"]
    assert found("beta g") == ["C-BETA"]
    assert found("DESK@") == ["C-BETA"]
    assert found("gamma@") == ["X-9"]
    # From the start only: a word inside a name or an email's domain is not a prefix.
    assert found("garage") == []
    assert found("nobody") == []


def test_a_phone_matches_by_its_digits_whatever_its_signs(found):
    assert found("+49 30 4242") == ["C-ALPHA"]
    assert found("0049-30-4242") == ["C-ALPHA"]
    assert found("49304242") == ["C-ALPHA"]
    assert found("+49 30") == ["C-ALPHA", "X-9"]
    assert found("030 555") == ["C-BETA"]
    assert found("(030) 555-01") == ["C-BETA"]
    # Two digits are too few to mean a phone number.
    assert found("49") == []


def test_like_wildcards_are_plain_characters(found):
    assert found("%") == []
    assert found("_-ALPHA") == []


def test_htmx_request_gets_only_the_results_fragment(client, agent):
    CustomerFactory(external_id="C-ALPHA", name="Alpha Bakery")
    client.force_login(agent)

    response = client.get(reverse("customers"), {"q": "alpha"}, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="results"')
    assert "Alpha Bakery" in html
    assert "<nav" not in html and "<html" not in html


def test_full_page_holds_the_search_box_its_rules_and_results(client, agent):
    CustomerFactory(external_id="C-ALPHA", name="Alpha Bakery")
    client.force_login(agent)

    html = client.get(reverse("customers"), {"q": "alpha"}).content.decode()

    assert 'name="q"' in html and 'value="alpha"' in html and f'maxlength="{MAX_QUERY}"' in html
    assert "a leading + counts as 00" in html
    assert 'id="results"' in html and "Alpha Bakery" in html


@pytest.mark.parametrize("htmx", [False, True])
def test_a_search_too_long_is_refused_with_a_reason(client, agent, htmx):
    CustomerFactory(external_id="C-ALPHA", name="Alpha Bakery")
    client.force_login(agent)
    headers = {"HX-Request": "true"} if htmx else {}

    response = client.get(reverse("customers"), {"q": "a" * 20_000}, headers=headers)

    assert response.status_code == 400
    html = response.content.decode()
    assert "The search is 20,000 characters long" in html and f"at most {MAX_QUERY}" in html
    assert "Alpha Bakery" not in html
