"""Marketers see no email or phone anywhere (issue 18): not on the 360° page, the customer list, its search, the
API's customer read, the CSV exports or a stage's customer list; agents, CX managers, admins and tokens with the
`read` scope do. cxcore.privacy.may_see_contact_details decides, every place asks it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cxcore.models import Customer
from cxcore.privacy import may_see_contact_details
from membrane.runs.services import stages_evaluate_changed
from membrane.tests.stage_helpers import DAY, NOW, ticket
from tests.permissions_world import build_world, caller

pytestmark = pytest.mark.django_db

EMAIL = "owner@cafe-nord.example"
PHONE = "+49 30 4242420"
SEES = ("agent", "cx_manager", "admin")


@pytest.fixture
def world():
    world = build_world()
    Customer.objects.filter(external_id=world["external_id"]).update(name="Café Nord", email=EMAIL, phone=PHONE)
    return world


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def _contact_shown(text: str) -> bool:
    return EMAIL in text or PHONE in text


@pytest.mark.parametrize("persona", ["marketer", *SEES])
def test_the_360_page(world, persona):
    client, _ = caller(persona)
    html = _text(client.get(reverse("customer", args=[world["external_id"]])))

    assert "Café Nord" in html
    assert _contact_shown(html) is (persona in SEES)
    assert ("<dt>Email</dt>" in html) is (persona in SEES)


@pytest.mark.parametrize("persona", ["marketer", *SEES])
def test_the_customer_list(world, persona):
    client, _ = caller(persona)
    html = _text(client.get(reverse("customers")))

    assert world["external_id"] in html
    assert _contact_shown(html) is (persona in SEES)
    assert ("<th>Email</th>" in html) is (persona in SEES)


@pytest.mark.parametrize("persona", ["marketer", *SEES])
@pytest.mark.parametrize("search", ["owner@cafe", "OWNER@", "+49 30 4242", "0049 30 42424", "49304242"])
def test_a_search_by_email_or_phone_finds_nothing_for_a_marketer(world, persona, search):
    client, _ = caller(persona)
    html = _text(client.get(reverse("customers"), {"q": search}))

    found = f'href="/customers/{world["external_id"]}/"' in html
    assert found is (persona in SEES)


def test_a_marketer_still_finds_a_customer_by_name_and_id(world):
    client, _ = caller("marketer")
    for search in ("café", world["external_id"]):
        html = _text(client.get(reverse("customers"), {"q": search}))
        assert f'href="/customers/{world["external_id"]}/"' in html
        assert not _contact_shown(html)


@pytest.mark.parametrize("persona", ["marketer", *SEES, "token:read"])
def test_the_api_customer_read(world, persona):
    client, headers = caller(persona)
    response = client.get(f"/api/v1/customers/{world['external_id']}", headers=headers)

    assert response.status_code == 200
    profile = response.json()["profile"]
    assert profile["name"] == "Café Nord"
    if persona == "marketer":
        assert "email" not in profile and "phone" not in profile
        assert not _contact_shown(response.content.decode())
    else:
        assert (profile["email"], profile["phone"]) == (EMAIL, PHONE)


def test_the_campaign_preview_csv_and_the_decisions_export(world):
    client, _ = caller("marketer")
    preview = _text(client.get(reverse("api-campaign-preview-csv", args=[world["pk"]])))
    decisions = _text(client.get(reverse("decisions-csv")))

    assert world["external_id"] in preview and world["external_id"] in decisions
    assert not _contact_shown(preview) and not _contact_shown(decisions)


def test_a_stage_customer_list(db):
    ticket("in-crisis", "T1", NOW - DAY)
    stages_evaluate_changed(at=NOW)
    Customer.objects.filter(external_id="in-crisis").update(email=EMAIL, phone=PHONE)
    client, _ = caller("marketer")

    html = _text(client.get(reverse("stage-customers", args=["crisis"])))

    assert 'href="/customers/in-crisis/"' in html
    assert not _contact_shown(html)


def test_who_may_see_contact_details(world):
    expected = {"marketer": False, "agent": True, "cx_manager": True, "admin": True}
    for persona, sees in expected.items():
        client, _ = caller(persona)
        response = client.get(reverse("customer", args=[world["external_id"]]))
        assert may_see_contact_details(response.wsgi_request.user) is sees
        assert response.context["contact_details"] is sees
