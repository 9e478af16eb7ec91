"""A body over the size limit is answered in JSON, 413 with the limit, and stores nothing; a body sent chunked
(no Content-Length) is read, not taken for an empty one (issue 12, item 4)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.test.client import ClientHandler

from cxcore.chunked_bodies import ChunkedBodies
from cxcore.models import Customer, Signal

LIMIT = 4000
SIGNAL = {"customer": "C1", "kind": "complaint", "occurred_at": "2026-05-01T09:00:00Z"}


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT


def too_large() -> dict:
    return {"signals": [{**SIGNAL, "payload": {"text": "x" * 500}}] * 10}


def test_a_body_over_the_limit_is_a_json_413_naming_it(api, make_token):
    client = api(make_token("ingest", "decide"))
    answers = [
        client.post("/api/v1/signals", too_large()),
        client.put("/api/v1/customers/C1", {"attributes": {"text": "x" * LIMIT}}),
        client.post("/api/v1/decisions", {"customer": "x" * LIMIT}),
        client.post("/api/v1/decisions/batch", {"decisions": [{"customer": "x" * LIMIT}]}),
    ]

    for response in answers:
        assert response.status_code == 413
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"detail": "The request body is larger than the limit of 4,000 bytes."}
    assert not Signal.objects.exists() and not Customer.objects.exists()


def test_a_bad_token_is_still_a_401_before_a_body_too_large(api, db):
    response = api("cxm_not-a-key").post("/api/v1/decisions", {"customer": "x" * LIMIT})
    assert response.status_code == 401


def post_chunked(url: str, body: bytes, *, token: str):
    """The request as a server that decodes chunked input (gunicorn) hands it over: no CONTENT_LENGTH, the
    decoded body as an input that ends, wsgi.input_terminated set."""
    environ = RequestFactory()._base_environ(
        PATH_INFO=url,
        REQUEST_METHOD="POST",
        CONTENT_TYPE="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_TRANSFER_ENCODING="chunked",
    )
    environ.pop("CONTENT_LENGTH", None)
    environ.update({"wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True})
    answered = []

    def django(environ, start_response):
        answered.append(ClientHandler(enforce_csrf_checks=False)(environ))
        return []

    ChunkedBodies(django)(environ, None)
    return answered[0]


def test_a_chunked_body_is_read(make_token):
    response = post_chunked("/api/v1/signals", json.dumps({"signals": [SIGNAL]}).encode(), token=make_token("ingest"))

    assert response.status_code == 201, response.content
    assert json.loads(response.content) == {"accepted": 1, "duplicates": 0}
    assert Signal.objects.count() == 1


def test_a_chunked_body_over_the_limit_is_a_413(make_token):
    response = post_chunked("/api/v1/signals", json.dumps(too_large()).encode(), token=make_token("ingest"))

    assert response.status_code == 413
    assert json.loads(response.content)["detail"] == "The request body is larger than the limit of 4,000 bytes."
    assert not Signal.objects.exists()


def test_the_wsgi_application_reads_chunked_bodies():
    # In a process of its own: loading the WSGI module freezes the collector (see its own test).
    probe = "import config.wsgi; print(type(config.wsgi.application.app).__name__)"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "a-key-of-this-test-only"}
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["ChunkedBodies"]


def test_a_chunked_body_over_the_site_limit_is_a_413_where_an_endpoint_takes_larger_ones(make_token):
    # The campaigns API reads lists larger than the site's limit, but only with their Content-Length: a chunked
    # one is cut at the limit, and must be refused, not read cut short (a 400 for malformed JSON).
    ids = [f"L-{n:05d}" for n in range(1000)]
    body = json.dumps({"name": "Big list", "audience_list": ids}).encode()
    response = post_chunked("/api/v1/campaigns", body, token=make_token("campaigns"))

    assert response.status_code == 413, response.content
    assert json.loads(response.content)["detail"] == "The request body is larger than the limit of 4,000 bytes."
