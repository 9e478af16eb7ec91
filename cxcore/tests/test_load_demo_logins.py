"""demo_logins: every printed login works, and the printed token is the only live demo token."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from cxcore.models import ApiToken, User

pytestmark = pytest.mark.django_db


def logs_in(client, username: str, password: str) -> bool:
    """Through the login form, as a person does (the login throttle needs the request)."""
    response = client.post("/login/", {"username": username, "password": password})
    client.logout()
    return response.status_code == 302


def logins() -> list[str]:
    out = io.StringIO()
    call_command("demo_logins", "--url", "http://127.0.0.1:8123", stdout=out)
    return out.getvalue().splitlines()


def test_prints_logins_that_work_for_each_role(client):
    lines = logins()
    assert lines[0] == "CX Membrane console: http://127.0.0.1:8123/"
    assert "API docs: http://127.0.0.1:8123/api/docs/" in lines
    rows = [[part.strip() for part in line.split("/")] for line in lines if line.startswith("  ")]
    roles = {row[2] for row in rows}
    assert roles == {"cx_manager", "agent", "marketer", "admin"}
    for username, password, role, team_and_text in rows:
        user = User.objects.get(username=username)
        assert user.role == role
        assert team_and_text.startswith(f"team {user.team.key} ")
        assert logs_in(client, username, password)
    assert User.objects.get(username="admin").is_superuser


def test_a_rerun_resets_a_changed_password(client):
    logins()
    carla = User.objects.get(username="carla")
    carla.set_password("something else entirely")
    carla.save()
    lines = logins()
    password = next(line for line in lines if line.strip().startswith("carla")).split("/")[1].strip()
    assert logs_in(client, "carla", password)


def test_each_run_prints_a_fresh_token_and_revokes_the_previous_one(api):
    first = logins()[-1]
    second = logins()[-1]
    assert first != second
    live = ApiToken.objects.filter(name="demo-integration", revoked_at__isnull=True)
    assert live.count() == 1
    assert set(live.get().scopes) == {"ingest", "decide", "read", "campaigns"}
    item = {"customer": "demo-x", "kind": "purchase", "occurred_at": "2025-01-01T10:00:00+01:00", "amount": 5}
    assert api(second).post("/api/v1/signals", {"signals": [item]}).status_code == 201
    assert api(first).post("/api/v1/signals", {"signals": [item]}).status_code == 401
