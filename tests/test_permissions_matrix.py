"""The permissions matrix, as data: every console URL and API endpoint (admin aside), each method it is
tried with, and who may use it among anonymous callers, each console role and a token of each scope.

A cell lists who is let through (any answer but 401, 403, 405 or a redirect to the login: a 400 for an
empty form counts as let through, since the checks came first); everyone else must be refused. A URL the
project serves without a line here fails the test, so a new page or endpoint states who may use it.
Each request runs in a savepoint rolled back after it, so no caller sees another's changes."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import URLResolver, get_resolver, reverse

from tests.permissions_world import PERSONAS, build_world, caller

pytestmark = pytest.mark.django_db

WHO = {
    "A": "anonymous",
    "g": "agent",
    "m": "marketer",
    "c": "cx_manager",
    "d": "admin",
    "I": "token:ingest",
    "D": "token:decide",
    "R": "token:read",
    "C": "token:campaigns",
}
ANY_CONSOLE_ROLE = "gmcd"

# url name -> {method: who may}; A anonymous, g agent, m marketer, c CX manager, d admin, I D R C tokens with
# the scope ingest, decide, read, campaigns.
MATRIX = {
    "actions": {"get": "gmcd", "post": "gmcd"},
    "api-campaign": {"get": "mcdRC", "post": "", "patch": "mdC", "delete": "mdC"},
    "api-campaign-preview": {"get": "mcdRC", "post": "mcdRC"},
    "api-campaign-preview-csv": {"get": "mcdRC", "post": ""},
    "api-campaigns": {"get": "mcdRC", "post": "mcdC"},
    "api-conflicts": {"get": "mcdRC", "post": ""},
    "api-customer": {"get": "gmcdR", "post": "", "put": "dI"},
    "api-customer-signals": {"get": "gmcdR", "post": ""},
    "api-decisions": {"get": "", "post": "gmcdD"},
    "api-decisions-batch": {"get": "", "post": "gmcdD"},
    "api-docs": {"get": "gmcdIDRC", "post": ""},
    "api-expressions-check": {"get": "", "post": "gmcdR"},
    "api-principle": {"get": "gmcdR", "post": ""},
    "api-principle-impact": {"get": "gmcdR", "post": ""},
    "api-principle-step": {"get": "", "post": "gmcd"},
    "api-principle-version": {"get": "", "post": ""},
    "api-principle-versions": {"get": "", "post": "gmcd"},
    "api-principles": {"get": "gmcdR", "post": "gmcd"},
    "api-schema": {"get": "gmcdIDRC", "post": ""},
    "api-signals": {"get": "", "post": "dI"},
    "api-stages": {"get": "gmcdR", "post": ""},
    "campaign": {"get": "mcd", "post": "mcd"},
    "campaign-audience-check": {"get": "", "post": "md"},
    "campaign-audience-count": {"get": "", "post": "md"},
    "campaign-cancel": {"get": "", "post": "md"},
    "campaign-delete": {"get": "", "post": "md"},
    "campaign-edit": {"get": "md", "post": "md"},
    "campaign-new": {"get": "md", "post": "md"},
    "campaign-preview": {"get": "mcd", "post": "mcd"},
    "campaign-schedule": {"get": "", "post": "md"},
    "campaigns": {"get": "mcd", "post": "mcd"},
    "conflicts": {"get": "mcd", "post": "mcd"},
    "customer": {"get": "gmcd", "post": "gmcd"},
    "customer-views": {"get": "cd", "post": "cd"},
    "customers": {"get": "gmcd", "post": "gmcd"},
    "dashboard": {"get": "gmcd", "post": "gmcd"},
    "decision": {"get": "gmcd", "post": "gmcd"},
    "decisions": {"get": "gmcd", "post": "gmcd"},
    "decisions-csv": {"get": "gmcd", "post": "gmcd"},
    "desk-call": {"get": "", "post": "gcd"},
    "desk-eta": {"get": "", "post": "gcd"},
    "desk-task": {"get": "", "post": "gcd"},
    "login": {"get": "AgmcdIDRC", "post": "AgmcdIDRC"},
    "logout": {"get": "", "post": ""},
    "principle": {"get": "gmcd", "post": "gmcd"},
    "principle-diff": {"get": "gmcd", "post": "gmcd"},
    "principle-edit": {"get": "cd", "post": "cd"},
    "principle-editor-check": {"get": "", "post": "cd"},
    "principle-editor-count": {"get": "cd", "post": "cd"},
    "principle-editor-params": {"get": "cd", "post": ""},
    "principle-editor-preview": {"get": "", "post": "cd"},
    "principle-impact": {"get": "gmcd", "post": "gmcd"},
    "principle-matches": {"get": "gmcd", "post": "gmcd"},
    "principle-new": {"get": "cd", "post": "cd"},
    "principle-step": {"get": "", "post": "cd"},
    "principles": {"get": "gmcd", "post": "gmcd"},
    "principles-review": {"get": "cd", "post": "cd"},
    "run": {"get": "gmcd", "post": "gmcd"},
    "run-start": {"get": "", "post": "cd"},
    "runs": {"get": "gmcd", "post": "gmcd"},
    "stage-customers": {"get": "gmcd", "post": "gmcd"},
    "stage-rules": {"get": "cd", "post": "cd"},
    "stage-rules-check": {"get": "", "post": "cd"},
    "stage-rules-edit": {"get": "cd", "post": "cd"},
    "stage-rules-moves": {"get": "cd", "post": "cd"},
    "stage-rules-step": {"get": "", "post": "cd"},
    "stages": {"get": "gmcd", "post": "gmcd"},
}

STEPS = {"principle-step": "submit", "api-principle-step": "submit", "stage-rules-step": "submit", "desk-task": "claim"}


def _routes() -> list[tuple[str, str]]:
    """(route, name) of every named URL the project serves, the admin's aside."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if not str(pattern.pattern).startswith("admin/"):
                    yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif pattern.name:
                yield prefix + str(pattern.pattern), pattern.name

    return list(walk(get_resolver().url_patterns))


def served_url_names() -> set[str]:
    return {name for _, name in _routes()}


def url_for(name: str, world: dict) -> str:
    kwargs = {}
    route = next(route for route, named in _routes() if named == name)
    for part in ("external_id", "slug", "number", "pk", "decision_id", "key", "step"):
        if f":{part}>" in route:
            kwargs[part] = STEPS[name] if part == "step" else world[part]
    if name == "run":
        kwargs["pk"] = world["run"]
    if name == "desk-task":
        kwargs["pk"] = world["task"]
    if name.startswith("stage-rules") and "number" in kwargs:
        kwargs["number"] = world["rules_number"]
    return reverse(name, kwargs=kwargs)


def refused(response) -> bool:
    login = response.status_code == 302 and response.headers.get("Location", "").startswith("/login")
    return response.status_code in (401, 403, 405) or login


def test_every_served_url_has_a_line():
    assert served_url_names() - set(MATRIX) == set()
    assert set(MATRIX) - served_url_names() == set()


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_who_may_use(name):
    world = build_world()
    url = url_for(name, world)
    wrong = []
    for method, allowed in MATRIX[name].items():
        for letter, persona in WHO.items():
            client, headers = caller(persona)
            client.raise_request_exception = False
            with transaction.atomic():
                response = getattr(client, method)(url, headers=headers)
                transaction.set_rollback(True)
            if response.status_code >= 500:
                wrong.append(f"{method.upper()} {url} as {persona}: {response.status_code}")
            elif (letter in allowed) == refused(response):
                expected = "let through" if letter in allowed else "refused"
                wrong.append(f"{method.upper()} {url} as {persona}: {response.status_code}, expected {expected}")
    assert wrong == []


def test_the_personas_are_the_matrix_columns():
    assert set(WHO.values()) == set(PERSONAS)
    assert set(ANY_CONSOLE_ROLE) <= set(WHO)
