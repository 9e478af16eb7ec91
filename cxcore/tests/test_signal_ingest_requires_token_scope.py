"""Sending signals needs a token with the ingest scope (or a console admin)."""

from __future__ import annotations

from cxcore.models import Signal

URL = "/api/v1/signals"
BODY = {"signals": [{"customer": "C1", "kind": "complaint", "occurred_at": "2024-05-01T09:00:00Z"}]}


def test_no_token_is_401(api, db):
    response = api(None).post(URL, BODY)

    assert response.status_code == 401
    assert Signal.objects.count() == 0


def test_a_bad_token_is_401(api, db):
    assert api("cxm_not-a-real-token").post(URL, BODY).status_code == 401


def test_a_token_without_ingest_is_403(api, make_token):
    response = api(make_token("read", "decide")).post(URL, BODY)

    assert response.status_code == 403
    assert "ingest" in response.json()["detail"]
    assert Signal.objects.count() == 0


def test_a_token_with_ingest_is_201(api, make_token):
    assert api(make_token("ingest")).post(URL, BODY).status_code == 201


def test_console_users_need_the_admin_role(client, agent, cx_manager):
    client.force_login(agent)
    assert client.post(URL, BODY, content_type="application/json").status_code == 403

    cx_manager.groups.clear()
    admin_user = cx_manager
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    response = client.post(URL, BODY, content_type="application/json")
    assert response.status_code == 201
    assert Signal.objects.get().source == "console:carla"
