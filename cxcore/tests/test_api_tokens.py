"""`create_api_token NAME --scopes ...` prints a working key alone on its last line."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from cxcore.models import ApiToken


def create(*args: str) -> str:
    out = io.StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip().splitlines()[-1]


def test_the_printed_key_authenticates_with_its_scopes(api, db):
    key = create("helpdesk", "--scopes", "ingest,read")

    token = ApiToken.objects.get()
    assert token.name == "helpdesk" and token.scopes == ["ingest", "read"]
    assert token.key_hash == ApiToken.hash_key(key) and key not in (token.key_hash, token.prefix)
    assert api(key).get("/api/v1/customers/nobody").status_code == 404  # authenticated, allowed to read
    body = {"signals": [{"customer": "C", "kind": "complaint", "occurred_at": "2024-05-01T09:00:00Z"}]}
    assert api(key).post("/api/v1/signals", body).status_code == 201


def test_a_token_without_a_scope_is_refused_by_its_endpoints(api, db):
    key = create("decider", "--scopes", "decide")

    assert api(key).get("/api/v1/customers/nobody").status_code == 403


def test_a_revoked_token_is_401(api, db):
    key = create("old", "--scopes", "read")
    ApiToken.objects.update(revoked_at="2024-01-01T00:00:00Z")

    assert api(key).get("/api/v1/customers/nobody").status_code == 401


@pytest.mark.parametrize("scopes", ["ingest,admin", ",", "everything"])
def test_unknown_or_missing_scopes_are_refused(db, scopes):
    with pytest.raises(CommandError, match="scope"):
        create("x", "--scopes", scopes)

    assert not ApiToken.objects.exists()
