"""A principle's scope naming a key with NUL or a lone surrogate is a 400 naming the field, never a 500
(PostgreSQL text cannot hold NUL; schemathesis found POST /api/v1/principles answering 500), and nothing
is stored."""

from __future__ import annotations

import pytest

from membrane.models.principles import PrincipleVersion
from membrane.tests.principle_api_support import URL, Console
from membrane.tests.principles_support import draft

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("field", ["categories", "channels", "teams"])
@pytest.mark.parametrize("key", ["mark\x00eting", "\ud934email"])
def test_a_new_draft_with_an_unstorable_scope_key_is_a_400(cx_manager, field, key):
    slug = draft(cx_manager).principle.slug

    response = Console(cx_manager).post(f"{URL}/{slug}/versions", {field: ["email", key]})

    assert response.status_code == 400, response.content
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert PrincipleVersion.objects.filter(principle__slug=slug).count() == 1
