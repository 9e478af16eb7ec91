"""Headless Chromium through Playwright against pytest-django's live server.

One browser per test session (starting Chromium is the slow part); a fresh context, so fresh
cookies, per test. Every page a test opens is watched: requests to any host other than the live
server, failed requests, HTTP errors, console errors (CSP violations are console errors in
Chromium) and uncaught exceptions are recorded, and `watch.assert_clean()` fails on any of them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connections

# Playwright's sync API runs an asyncio loop in this thread; Django would then refuse ORM calls
# from the test body (creating users, customers) as "async unsafe", though they run synchronously.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PUBLIC_HOST = "console.cxm.test"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "pw-for-tests-1"  # cxcore.factories.make_user's default


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)
            # The live server needs committed data, so these tests truncate the tables afterwards;
            # a serialized rollback brings back what the migrations seeded (vocabularies, role groups).
            item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True))


def _carry_serialized_contents(before: dict) -> None:
    """Keep serialized rollback working once Playwright runs.

    Playwright's sync API leaves an asyncio loop running in this thread, and Django's connection
    handler then hands the test a new connection object. The copy of the migrated data that
    serialized rollback restores hangs off the old one (`_test_serialized_contents`), so carry it over.
    """
    for alias, old in before.items():
        contents = getattr(old, "_test_serialized_contents", None)
        if contents is not None and connections[alias] is not old:
            connections[alias]._test_serialized_contents = contents


@pytest.fixture(scope="module", autouse=True)
def _leave_the_migrated_data(django_db_setup, django_db_blocker):
    """After the module, put back what the migrations seeded.

    Each browser test ends by emptying the tables (the live server needed committed rows). Tests
    that pytest-django cannot tell use the database (personas taken with request.getfixturevalue)
    run after these ones and expect the seeded vocabularies and role groups, as every other test has.
    """
    yield
    with django_db_blocker.unblock():
        for alias in connections:
            contents = getattr(connections[alias], "_test_serialized_contents", None)
            if contents is not None:
                connections[alias].creation.deserialize_db_from_string(contents)


@pytest.fixture(scope="session")
def browser(live_server, django_db_setup):
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI runs the browser tests.")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    public_origin = f"http://{PUBLIC_HOST}:{urlsplit(live_server.url).port}"
    args = [
        *CHROMIUM_ARGS,
        # A name that is not "localhost": some pages (Swagger UI) only reach out to the internet
        # when served from a real host name, as in production, so tests can visit the live server
        # under this name too. Production serves HTTPS: treat this plain-HTTP origin as secure.
        f"--host-resolver-rules=MAP {PUBLIC_HOST} 127.0.0.1",
        f"--unsafely-treat-insecure-origin-as-secure={public_origin}",
    ]
    before = {alias: connections[alias] for alias in connections}
    with sync_playwright() as playwright:
        _carry_serialized_contents(before)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
        yield browser
        browser.close()


class PageWatch:
    """What a page did that a clean page must not do."""

    def __init__(self, page, origin: str):
        self.page = page
        self.origin = origin
        self.requests: list[str] = []
        self.foreign: list[str] = []
        self.failed: list[str] = []
        self.http_errors: list[str] = []
        self.console_errors: list[str] = []
        page.on("request", self._on_request)
        page.on("requestfailed", self._on_request_failed)
        page.on("response", self._on_response)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.console_errors.append(f"uncaught: {error}"))

    def _on_request(self, request) -> None:
        self.requests.append(request.url)
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            self.foreign.append(request.url)

    def _on_request_failed(self, request) -> None:
        # ERR_ABORTED is the browser cancelling what the page no longer needs when the test
        # navigates on (a favicon still loading); blocked (CSP) and refused requests have their own codes.
        if request.failure != "net::ERR_ABORTED":
            self.failed.append(f"{request.url} {request.failure}")

    def _on_response(self, response) -> None:
        if response.status >= 400:
            self.http_errors.append(f"{response.status} {response.url}")

    def _on_console(self, message) -> None:
        if message.type == "error":
            self.console_errors.append(f"{message.text} ({message.location.get('url', '?')})")

    def wait_for(self, selector: str) -> None:
        """Wait for an element; when it never comes, say what the page did wrong (a CSP block, a 404)."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        try:
            self.page.locator(selector).first.wait_for()
        except PlaywrightTimeout:
            self.assert_clean()
            raise

    def assert_clean(self) -> None:
        problems = {
            "requests to other hosts": self.foreign,
            "failed requests": self.failed,
            "HTTP errors": self.http_errors,
            "console errors": self.console_errors,
        }
        assert not any(problems.values()), {name: found for name, found in problems.items() if found}

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1360, "height": 860}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.watch = PageWatch(page, origin=live_server.url)
    yield page
    context.close()


@pytest.fixture
def log_in(page):
    """log_in(user): through the login form, as a person would."""

    def log_in(user) -> None:
        page.goto("/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/")

    return log_in
