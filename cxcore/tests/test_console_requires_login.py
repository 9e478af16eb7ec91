from __future__ import annotations

import pytest
from django.urls import reverse

from cxcore.factories import CustomerFactory
from cxcore.navigation import nav_items

PAGES = [item.name for item in nav_items()]


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitor_is_sent_to_the_login_page(client, db, name):
    url = reverse(name)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_customer_page_requires_login(client, db):
    customer = CustomerFactory()

    response = client.get(reverse("customer", args=[customer.external_id]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", PAGES)
def test_a_login_without_a_role_gets_403(client, outsider, name):
    client.force_login(outsider)

    response = client.get(reverse(name))

    assert response.status_code == 403
    assert b"no role" in response.content


def test_logging_in_through_the_form_lands_on_the_dashboard(client, agent):
    response = client.post(reverse("login"), {"username": "anna", "password": "pw-for-tests-1"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("dashboard")
    assert response.context["user"] == agent


def test_a_wrong_password_is_refused(client, agent):
    response = client.post(reverse("login"), {"username": "anna", "password": "wrong"})

    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
    assert b"correct username and password" in response.content


def test_logout_is_a_post_and_ends_the_session(client, agent):
    client.force_login(agent)

    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 302
