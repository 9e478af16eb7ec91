"""Helpers for the principles API tests: a console user's JSON client, and a body for a new principle."""

from __future__ import annotations

import itertools

from django.test import Client

URL = "/api/v1/principles"
_slugs = itertools.count(1)


class Console:
    """A console user signed in with a session, speaking JSON (the test client skips CSRF checks unless asked)."""

    def __init__(self, user, client: Client | None = None):
        self.client = client or Client()
        if user is not None:
            self.client.force_login(user)

    def get(self, url):
        return self.client.get(url)

    def post(self, url, data=None, **headers):
        return self.client.post(url, {} if data is None else data, content_type="application/json", headers=headers)

    def patch(self, url, data, **headers):
        return self.client.patch(url, data, content_type="application/json", headers=headers)


def principle_body(**overrides) -> dict:
    body = {
        "slug": f"api-principle-{next(_slugs)}",
        "title": "No marketing during a crisis",
        "rationale": "Selling to someone whose problem is open *makes it worse*.",
        "categories": ["marketing"],
        "condition": 'stage == "crisis"',
        "effect": "suppress",
        "priority": 100,
        "change_note": "first version",
        "examples": [
            {
                "name": "crisis suppresses marketing",
                "facts": {"stage": "crisis", "days_in_stage": 2},
                "interaction": {"team": "marketing_devices", "category": "marketing", "channel": "email"},
                "expect_verdict": "suppress",
            }
        ],
    }
    body.update(overrides)
    return body


def version_url(slug: str, number: int, step: str | None = None) -> str:
    return f"{URL}/{slug}/versions/{number}" + (f"/{step}" if step else "")
