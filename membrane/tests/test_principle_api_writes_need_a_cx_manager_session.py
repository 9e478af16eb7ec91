"""The principles' write endpoints are for people in the console: a token (an integration) gets 403 whatever
its scopes, an anonymous caller 401, an agent, a marketer or an outsider 403 with the reason, and a session's
write needs its CSRF header. Reading with the read scope works as before."""

from __future__ import annotations

import pytest
from django.test import Client

from membrane.models.principles import Principle, PrincipleVersion
from membrane.tests.principle_api_support import URL, Console, principle_body, version_url
from membrane.tests.principles_support import draft

# The users come from fixtures asked for by name (request.getfixturevalue), which pytest-django does not see:
# marked, these tests run with the database tests, before any transactional test has flushed the seeded rows.
pytestmark = pytest.mark.django_db

ALL_SCOPES = ("ingest", "decide", "read", "campaigns")


def writes(slug: str) -> list[tuple[str, str, dict]]:
    """Every write endpoint on principle `slug`, whose v1 is a draft."""
    return [
        ("post", URL, principle_body()),
        ("post", f"{URL}/{slug}/versions", {"priority": 1}),
        ("patch", version_url(slug, 1), {"lock_version": 1, "priority": 1}),
        *[("post", version_url(slug, 1, step), {}) for step in ("submit", "approve", "publish", "retire", "rollback")],
        ("post", version_url(slug, 1, "reject"), {"comment": "no"}),
    ]


def send(client: Client, method: str, url: str, body: dict, **headers):
    return getattr(client, method)(url, body, content_type="application/json", headers=headers)


def nothing_changed(slug: str) -> tuple:
    version = PrincipleVersion.objects.get(principle__slug=slug)
    return Principle.objects.count(), PrincipleVersion.objects.count(), version.status, version.lock_version


def test_tokens_are_refused_whatever_their_scopes(api, make_token, cx_manager):
    slug = draft(cx_manager).principle.slug
    before = nothing_changed(slug)
    headers = {"Authorization": f"Bearer {make_token(*ALL_SCOPES)}"}

    for method, url, body in writes(slug):
        response = send(Client(), method, url, body, **headers)
        assert response.status_code == 403, (method, url)
        assert "not with a token" in response.json()["detail"]
    assert nothing_changed(slug) == before


def test_anonymous_callers_are_asked_to_authenticate(cx_manager):
    slug = draft(cx_manager).principle.slug
    before = nothing_changed(slug)

    for method, url, body in writes(slug):
        assert send(Client(), method, url, body).status_code == 401, (method, url)
    assert nothing_changed(slug) == before


@pytest.mark.parametrize("persona", ["agent", "marketer", "outsider"])
def test_other_roles_are_refused_with_the_reason(persona, request, cx_manager):
    slug = draft(cx_manager).principle.slug
    before = nothing_changed(slug)
    console = Console(request.getfixturevalue(persona))

    for method, url, body in writes(slug):
        response = send(console.client, method, url, body)
        assert response.status_code == 403, (method, url)
        assert "CX manager" in response.json()["detail"]
    # A body with unknown fields too: who may not write is told so, not what is wrong with the body.
    assert console.post(URL, {"owner": "me"}).status_code == 403
    assert nothing_changed(slug) == before


def test_a_session_write_needs_the_csrf_header(cx_manager):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cx_manager)
    token = "t" * 32
    client.cookies["csrftoken"] = token

    refused = send(client, "post", URL, principle_body(slug="csrf-less"))
    accepted = send(client, "post", URL, principle_body(slug="csrf-ful"), **{"X-CSRFToken": token})

    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert accepted.status_code == 201
    assert list(Principle.objects.filter(slug__startswith="csrf").values_list("slug", flat=True)) == ["csrf-ful"]
    # Reading needs no CSRF header.
    assert client.get(f"{URL}/csrf-ful").status_code == 200


def test_reading_with_the_read_scope_shows_lock_versions_and_example_results(api, make_token, cx_manager):
    slug = draft(cx_manager).principle.slug

    body = api(make_token("read")).get(f"{URL}/{slug}").json()

    [version] = body["versions"]
    assert version["lock_version"] == 1 and version["example_results"][0]["passed"] is True
    assert api(make_token("read")).get(URL).status_code == 200
    assert api(make_token("decide")).get(f"{URL}/{slug}").status_code == 403
