"""Schemathesis against the API's own OpenAPI schema (issue 18): every documented operation, fed data
generated from the schema, answers no 5xx, only status codes the schema lists, and bodies that match the
schema of their status code.

The schema comes from the app (/api/schema/) and requests go to the WSGI app in-process, so the test sees
what an integration would. Callers: a token holding every scope; the principles' writes, which only
console users may make, go with an admin's session and CSRF token. The world (tests.permissions_world)
gives one of each object a URL names, and half of the generated cases use those ids, so requests reach the
real code past the 404. Each request runs in a savepoint rolled back after it and with fresh rate counters:
every case meets the same world, which with derandomized hypothesis makes the run deterministic.

SCHEMATHESIS_MAX_EXAMPLES (default 12 per operation and mode) trades depth for time."""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import Client, override_settings
from django.utils import timezone
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from cxcore.factories import make_user
from cxcore.models import ApiToken
from tests.permissions_world import build_world

pytestmark = pytest.mark.django_db(transaction=False)

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "12"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
ALL_SCOPES = ["ingest", "decide", "read", "campaigns"]
CSRF_SECRET = "h" * 32  # Django accepts an unmasked 32-character secret as cookie and header alike


def _token(scopes: list[str]) -> dict:
    key = ApiToken.generate_key()
    ApiToken.objects.create(name="schemathesis", key_hash=ApiToken.hash_key(key), prefix=key[:8], scopes=scopes)
    return {"headers": {"Authorization": f"Bearer {key}"}}


def _admin_session() -> dict:
    client = Client()
    client.force_login(make_user("root", role="admin", team="cx"))
    return {
        "cookies": {"sessionid": client.cookies["sessionid"].value, "csrftoken": CSRF_SECRET},
        "headers": {"X-CSRFToken": CSRF_SECRET},
    }


def _known_ids(world: dict) -> dict:
    """Path parameters naming objects that exist, by the names the schema gives them."""
    return {
        "external_id": world["external_id"],
        "id": world["pk"],
        "slug": world["slug"],
        "number": world["number"],
    }


def _valid_requests(known: dict) -> dict:
    """A request each write endpoint accepts, tried first in every positive pass: bodies generated from
    the schema alone name teams, kinds and categories that do not exist, so they stop at the 400."""
    question = {"customer": known["external_id"], "team": "marketing_devices", "category": "marketing"}
    question["channel"] = "email"
    signal = {"customer": known["external_id"]}
    starts = timezone.now() + dt.timedelta(days=30)
    return {
        "POST /api/v1/signals": {
            "body": {"signals": [{**signal, "kind": "complaint", "occurred_at": "2026-05-01T09:00:00Z"}]}
        },
        "POST /api/v1/decisions": {"body": question},
        "POST /api/v1/decisions/batch": {"body": {"decisions": [question, {**question, "channel": "sms"}]}},
        "POST /api/v1/campaigns": {
            "body": {
                "name": "Autumn terminals",
                "team": "marketing_devices",
                "category": "marketing",
                "channel": "email",
                "audience": "true",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + dt.timedelta(days=7)).isoformat(),
            }
        },
        "POST /api/v1/principles": {
            "body": {
                "slug": "probe",
                "title": "Probe",
                "rationale": "Written by the schema conformance test.",
                "condition": "true",
                "effect": "suppress",
            }
        },
        "POST /api/v1/principles/{slug}/versions": {
            "path_parameters": {"slug": known["slug"]},
            "body": {"priority": 150, "change_note": "probe"},
        },
    }


def _strategy(operation, mode, known):
    fixed = {p.name: known[p.name] for p in operation.path_parameters if p.name in known}
    random_ids = operation.as_strategy(generation_mode=mode)
    if not fixed or mode is GenerationMode.NEGATIVE:
        return random_ids
    return st.one_of(operation.as_strategy(generation_mode=mode, path_parameters=fixed), random_ids)


def _console_only(operation) -> bool:
    return operation.path.startswith("/api/v1/principles") and operation.method.upper() != "GET"


@dataclass
class Caller:
    """Who sends a pass of cases, how many per operation, and the rate limits it meets."""

    name: str
    credentials: dict
    console: dict  # what the principles' writes are sent with: only console users may make them
    modes: tuple = (GenerationMode.POSITIVE,)
    examples: int = 2
    rates: dict | None = None


def _callers() -> list[Caller]:
    full, session = _token(ALL_SCOPES), _admin_session()
    none = _token([])
    # Every limit at zero: the first request of each window already answers 429.
    closed = {scope: "0/min" for scope in django_settings.API_RATE_LIMITS}
    return [
        Caller("every scope", full, session, (GenerationMode.POSITIVE, GenerationMode.NEGATIVE), MAX_EXAMPLES),
        Caller("anonymous", {}, {}),
        Caller("token without scopes", none, none),
        Caller("rate limited", full, session, rates=closed),
    ]


def _run(operation, mode, caller: Caller, known: dict, statuses: Counter) -> int:
    """Sends `caller`'s cases for one operation and mode, counting their statuses; raises the first
    failing case's report."""
    credentials = caller.console if _console_only(operation) else caller.credentials
    rates = caller.rates or django_settings.API_RATE_LIMITS
    sent = 0

    @settings(
        max_examples=caller.examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_strategy(operation, mode, known))
    def run(case):
        nonlocal sent
        sent += 1
        cache.clear()
        if "cookies" in credentials and case.headers:
            # Schemathesis fills the bearer scheme with a made-up token, which the API tries before the
            # session (and refuses): the console user's cases go with their session alone.
            case.headers.pop("Authorization", None)
        with transaction.atomic(), override_settings(API_RATE_LIMITS=rates):
            try:
                response = case.call_and_validate(checks=CHECKS, **credentials)
                statuses[response.status_code] += 1
                if response.status_code == 429:
                    assert float(response.headers["retry-after"][0]) >= 0, "a 429 says when to retry"
            finally:
                transaction.set_rollback(True)

    valid = _valid_requests(known).get(f"{operation.method.upper()} {operation.path}")
    if valid and mode is GenerationMode.POSITIVE:
        run = example(case=operation.Case(media_type="application/json", **valid))(run)
    run()
    return sent


@contextmanager
def _connection_kept():
    """Django's WSGI handler closes a connection that is not in autocommit at each request's start and
    end, which the test's transaction is not: the test client unhooks that handler for each of its
    requests (and hooks it back after, so no test client request may run inside this block); the WSGI
    app schemathesis calls needs the same."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


def test_every_operation_answers_as_its_schema_says():
    world = build_world()
    callers = _callers()
    document = Client().get("/api/schema/", {"format": "json"}, **callers[0].credentials).json()
    schema = schemathesis.openapi.from_dict(document)
    schema.app = get_wsgi_application()
    known = _known_ids(world)
    failures, cases, reached = [], 0, {}

    with _connection_kept():
        for result in schema.get_all_operations():
            operation = result.ok()
            label = f"{operation.method.upper()} {operation.path}"
            statuses = reached[label] = Counter()
            for caller in callers:
                for mode in caller.modes:
                    try:
                        cases += _run(operation, mode, caller, known, statuses)
                    # Every operation's failures are collected, then shown together.
                    except (Exception, BaseExceptionGroup) as error:
                        failures.append(f"{label} as {caller.name} ({mode}): {error}")

    print(f"schemathesis: {cases} cases over {len(reached)} operations")
    for label, statuses in reached.items():
        print(f"  {label}: {dict(sorted(statuses.items()))}")
    assert not failures, "\n\n".join(failures)
    # Every operation was reached past its authentication, scope and rate checks at least once.
    assert not [label for label, statuses in reached.items() if set(statuses) <= {401, 403, 429}]
