from __future__ import annotations

import re

import pytest
from django.urls import reverse

from cxcore.factories import CustomerFactory, SignalFactory, make_user
from cxcore.ingest import signals_ingest
from cxcore.models import ApiToken


@pytest.fixture
def admin_client(client, db):
    client.force_login(make_user("ada", role="admin", team=None))
    return client


def test_adding_a_token_shows_its_key_once_and_stores_only_the_hash(admin_client):
    response = admin_client.post(
        reverse("admin:cxcore_apitoken_add"), {"name": "crm", "scopes": ["ingest", "read"]}, follow=True
    )

    html = response.content.decode()
    key = re.search(r"cxm_[A-Za-z0-9_-]{20,}", html).group(0)
    token = ApiToken.objects.get(name="crm")
    assert token.key_hash == ApiToken.hash_key(key)
    assert token.prefix == key[:8]
    assert token.scopes == ["ingest", "read"]
    assert key not in admin_client.get(reverse("admin:cxcore_apitoken_changelist")).content.decode()
    assert key not in admin_client.get(reverse("admin:cxcore_apitoken_change", args=[token.pk])).content.decode()


def test_the_token_list_shows_prefix_and_scopes_and_the_form_never_the_hash(admin_client, make_token):
    key = make_token("decide", "read", name="shop")
    token = ApiToken.objects.get(name="shop")

    listing = admin_client.get(reverse("admin:cxcore_apitoken_changelist")).content.decode()
    form = admin_client.get(reverse("admin:cxcore_apitoken_change", args=[token.pk])).content.decode()

    assert key[:8] in listing and "decide, read" in listing
    assert token.key_hash not in form and 'name="key_hash"' not in form and 'name="prefix"' not in form


def test_a_key_hash_posted_to_the_change_form_is_ignored(admin_client, make_token):
    make_token("read", name="shop")
    token = ApiToken.objects.get(name="shop")

    admin_client.post(
        reverse("admin:cxcore_apitoken_change", args=[token.pk]),
        {"name": "shop", "scopes": ["read"], "key_hash": "0" * 64, "prefix": "stolen"},
    )

    token.refresh_from_db()
    assert token.key_hash != "0" * 64 and token.prefix != "stolen"


def test_signals_are_read_only_in_the_admin(admin_client):
    signal = SignalFactory()

    assert admin_client.get(reverse("admin:cxcore_signal_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:cxcore_signal_add")).status_code == 403
    admin_client.post(reverse("admin:cxcore_signal_change", args=[signal.pk]), {"kind": "edited"})
    signal.refresh_from_db()
    assert signal.kind == "purchase"


def test_queued_changes_are_listed_read_only_in_the_admin(admin_client):
    item = {"customer": "queued-1", "kind": "complaint", "occurred_at": "2026-05-01T10:00:00Z"}
    signals_ingest(items=[item], source="t")

    listing = admin_client.get(reverse("admin:cxcore_customerchange_changelist"))
    assert listing.status_code == 200 and "queued-1" in listing.content.decode()
    assert admin_client.get(reverse("admin:cxcore_customerchange_add")).status_code == 403


def test_customers_are_searchable(admin_client):
    CustomerFactory(external_id="C-ALPHA", name="Alpha Bakery")
    CustomerFactory(external_id="C-BETA", name="Beta Garage")

    html = admin_client.get(reverse("admin:cxcore_customer_changelist"), {"q": "garage"}).content.decode()

    assert "C-BETA" in html and "C-ALPHA" not in html


@pytest.mark.parametrize("model", ["team", "channel", "category", "actionkind", "user"])
def test_vocabularies_and_users_are_managed_in_the_admin(admin_client, model):
    assert admin_client.get(reverse(f"admin:cxcore_{model}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:cxcore_{model}_add")).status_code == 200


def test_a_user_gets_a_team_in_the_admin(admin_client, agent):
    html = admin_client.get(reverse("admin:cxcore_user_change", args=[agent.pk])).content.decode()

    assert 'name="team"' in html
