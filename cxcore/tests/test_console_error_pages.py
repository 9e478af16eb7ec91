"""The console's error pages: a 404 and a 500 in the layout with its navigation, telling nothing of the
server (no URL patterns, no traceback), and bin/console running with DEBUG off unless asked
(issue 12, item 9)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse

import cxcore.api_customers
import cxcore.views
from cxcore.models import Customer

ROOT = Path(__file__).resolve().parents[2]
SECRET = "/srv/cxm/secret_module.py exploded"


@pytest.fixture
def failing_client(client):
    """The test client answering a server error as a browser would see it, not raising it into the test."""
    client.raise_request_exception = False
    return client


def assert_console_page(html: str, heading: str) -> None:
    assert f"<h1>{heading}</h1>" in html
    assert 'nav class="sidenav"' in html and f'href="{reverse("customers")}"' in html
    assert "css/app.css" in html


def test_a_missing_page_is_the_console_404_without_the_url_patterns(client, cx_manager):
    client.force_login(cx_manager)

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert_console_page(html, "Page not found")
    assert "/no-such-page/" in html and 'data-testid="who"' in html
    assert "URLconf" not in html and "api/v1/" not in html


def test_a_server_error_is_the_console_500_without_a_traceback(failing_client, cx_manager, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError(SECRET)

    monkeypatch.setattr(cxcore.views, "dashboard_panels", explode)
    failing_client.force_login(cx_manager)

    response = failing_client.get(reverse("dashboard"))

    assert response.status_code == 500
    html = response.content.decode()
    assert_console_page(html, "Something went wrong")
    assert "Traceback" not in html and "secret_module" not in html and "RuntimeError" not in html


def test_the_500_page_needs_nothing_that_may_have_failed(failing_client, cx_manager, monkeypatch):
    # Loading the user fails (its session or the database): the 500 page does without it.
    def no_user(request):
        raise RuntimeError(SECRET)

    monkeypatch.setattr("django.contrib.auth.middleware.get_user", no_user)
    failing_client.force_login(cx_manager)

    response = failing_client.get(reverse("customers"))

    assert response.status_code == 500
    html = response.content.decode()
    assert_console_page(html, "Something went wrong")
    assert "secret_module" not in html and 'data-testid="who"' not in html


def test_an_api_server_error_answers_the_api_error_shape(failing_client, make_token, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError(SECRET)

    monkeypatch.setattr(cxcore.api_customers, "customer_360", explode)
    Customer.objects.create(external_id="C1")

    response = failing_client.get("/api/v1/customers/C1", headers={"Authorization": f"Bearer {make_token('read')}"})

    assert response.status_code == 500
    assert response.json() == {"detail": "Server error."}


def test_bin_console_runs_with_debug_off_unless_asked():
    # The line of bin/console that sets DEBUG, run as the script runs it.
    (line,) = [line for line in (ROOT / "bin/console").read_text().splitlines() if line.startswith("export DEBUG=")]
    env = {key: value for key, value in os.environ.items() if key != "DEBUG"}

    def debug(**extra) -> str:
        script = f'{line}\nprintf %s "$DEBUG"'
        return subprocess.run(["bash", "-c", script], env={**env, **extra}, capture_output=True, text=True).stdout

    assert debug() == "false"
    assert debug(DEBUG="true") == "true"
