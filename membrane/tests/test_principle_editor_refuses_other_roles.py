"""The editor is for CX managers: other roles get 403 on every page and endpoint, anonymous users the login."""

from __future__ import annotations

import pytest

from membrane.models.principles import PrincipleVersion
from membrane.tests.principle_editor_support import editor_post
from membrane.tests.principles_support import draft

# The users come from fixtures asked for by name (request.getfixturevalue), which pytest-django does not see:
# marked, these tests run with the database tests, before any transactional test has flushed the seeded rows.
pytestmark = pytest.mark.django_db


@pytest.fixture
def version(cx_manager):
    return draft(cx_manager, slug="quiet")


def _urls(version) -> list[tuple[str, str]]:
    return [
        ("get", "/principles/new/"),
        ("post", "/principles/new/"),
        ("get", f"/principles/quiet/v{version.number}/edit/"),
        ("post", f"/principles/quiet/v{version.number}/edit/"),
        ("post", "/principles/editor/check/"),
        ("post", "/principles/editor/preview/"),
        ("get", "/principles/editor/params/?effect=cap"),
    ]


@pytest.mark.parametrize("persona", ["agent", "marketer", "outsider"])
def test_other_roles_get_403_and_change_nothing(client, request, version, persona):
    client.force_login(request.getfixturevalue(persona))
    before = PrincipleVersion.objects.count()

    for method, url in _urls(version):
        response = getattr(client, method)(url, editor_post(slug="sneaky") if method == "post" else None)
        assert response.status_code == 403, (method, url)

    version.refresh_from_db()
    assert PrincipleVersion.objects.count() == before and version.lock_version == 1


def test_anonymous_users_are_sent_to_log_in(client, version):
    for method, url in _urls(version):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), (method, url)


def test_an_unknown_version_is_404(client, cx_manager):
    client.force_login(cx_manager)
    assert client.get("/principles/nope/v1/edit/").status_code == 404
