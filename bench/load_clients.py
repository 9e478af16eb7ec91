"""bench load's clients: threads sending the mixed traffic of a day to a real gunicorn, each request timed and
its answer checked, and the idempotency keys of every signal the server acknowledged kept for the count."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from django.conf import settings
from django.core.management.base import CommandError

from .decisions_population import ASKS
from .ingest_rows import generate

# What the clients ask, in these proportions: integrations deciding and sending signals, people and systems
# reading customers' 360° views.
MIX = {"signals": 3, "decisions": 4, "customer_api": 2, "customer_page": 1}
EXPECTED = {"signals": 201, "decisions": 200, "customer_api": 200, "customer_page": 200}
RESENT_KEPT = 20  # the recent batches a client may send again
LATE_DAYS = 30


@dataclass(frozen=True)
class Target:
    port: int
    key: str  # an API token with the ingest, decide and read scopes
    session_cookie: str  # "name=value" of a logged-in console session
    external_ids: list[str]
    batch: int
    resend: float  # the share of signal requests that send an earlier batch again
    late: float  # the share of signals that arrive late (up to LATE_DAYS)
    tag: str  # the token's name: the stored signals' source, and the prefix of their keys


@dataclass
class Traffic:
    """Everything the clients saw, merged under a lock."""

    timings: dict[str, list[float]] = field(default_factory=lambda: {kind: [] for kind in MIX})
    errors: dict[str, Counter] = field(default_factory=lambda: {kind: Counter() for kind in MIX})
    acknowledged_keys: set[str] = field(default_factory=set)
    resent: int = 0
    resent_accepted: int = 0  # signals a re-sent batch's answer counted as new: each one doubled or lost before
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Client:
    def __init__(self, target: Target, traffic: Traffic, number: int):
        self.target, self.traffic, self.number = target, traffic, number
        self.rng = random.Random(number)
        self.sent: list[bytes] = []  # recent acknowledged batches
        self.batches = 0
        self.connection = http.client.HTTPConnection("127.0.0.1", target.port, timeout=60)
        self.api_headers = {"Authorization": f"Bearer {target.key}", "Content-Type": "application/json"}

    def run(self, deadline: float) -> None:
        kinds, weights = zip(*MIX.items(), strict=True)
        try:
            while time.perf_counter() < deadline:
                self.one(self.rng.choices(kinds, weights)[0])
        finally:
            self.connection.close()

    def one(self, kind: str) -> None:
        external_id = self.rng.choice(self.target.external_ids)
        resent = False
        if kind == "signals":
            if self.sent and self.rng.random() < self.target.resend:
                resent = True
                body, keys = self.rng.choice(self.sent), []
            else:
                body, keys = self._batch()
            status, answer, seconds = self._request("POST", "/api/v1/signals", body, self.api_headers)
        elif kind == "decisions":
            team, category, channel = self.rng.choice(ASKS)
            ask = {"customer": external_id, "team": team, "category": category, "channel": channel}
            status, answer, seconds = self._request("POST", "/api/v1/decisions", json.dumps(ask), self.api_headers)
        elif kind == "customer_api":
            status, answer, seconds = self._request("GET", f"/api/v1/customers/{external_id}", None, self.api_headers)
        else:
            headers = {"Cookie": self.target.session_cookie}
            status, answer, seconds = self._request("GET", f"/customers/{external_id}/", None, headers)
        if status == EXPECTED[kind] and kind != "signals" and _wrong(kind, answer, external_id):
            status = f"{status}, not the answer asked"
        traffic = self.traffic
        with traffic.lock:
            traffic.timings[kind].append(seconds)
            if status != EXPECTED[kind]:
                traffic.errors[kind][str(status)] += 1
            elif resent:
                traffic.resent += 1
                traffic.resent_accepted += json.loads(answer)["accepted"]
            elif kind == "signals":
                traffic.acknowledged_keys.update(keys)
        if kind == "signals" and not resent and status == EXPECTED[kind]:
            self.sent = [*self.sent[-(RESENT_KEPT - 1) :], body]

    def _batch(self) -> tuple[bytes, list[str]]:
        """A batch of plausible signals about customers of the population, every one with a key of its own."""
        self.batches += 1
        target = self.target
        items = generate(n=target.batch, tag=target.tag, run=0, seed=self.number * 1_000_003 + self.batches).items
        keys = []
        now = dt.datetime.now(dt.UTC)
        for i, item in enumerate(items):
            item["customer"] = self.rng.choice(target.external_ids)
            item["idempotency_key"] = f"{target.tag}-{self.number}-{self.batches}-{i}"
            keys.append(item["idempotency_key"])
            # A live feed: signals from the last minutes, a share of them late by up to LATE_DAYS (a system
            # catching up), each of which makes its customer's stage history replay from that day.
            late = self.rng.random() < target.late
            ago = self.rng.uniform(3600, LATE_DAYS * 86400) if late else self.rng.uniform(0, 600)
            when = now - dt.timedelta(seconds=ago)
            item["occurred_at"] = when.isoformat(timespec="seconds")
            if "eta" in item:
                item["eta"] = (when + dt.timedelta(hours=self.rng.randrange(1, 96))).isoformat(timespec="seconds")
        return json.dumps({"signals": items}).encode(), keys

    def _request(self, method: str, path: str, body, headers) -> tuple[int | str, bytes, float]:
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            answer = response.read()
            status: int | str = response.status
        except (OSError, http.client.HTTPException) as error:
            # A refused, reset or timed-out connection is an error of its own kind, and the next request
            # opens a new one.
            self.connection.close()
            answer, status = b"", type(error).__name__
        return status, answer, time.perf_counter() - started


def _wrong(kind: str, answer: bytes, external_id: str) -> bool:
    """An answer with the right status but not what was asked: a verdict, the customer's view."""
    if kind == "decisions":
        return "verdict" not in json.loads(answer)
    return external_id.encode() not in answer


def send_traffic(*, target: Target, clients: int, seconds: float) -> Traffic:
    """`clients` threads, each sending the mix one request at a time for `seconds`."""
    traffic = Traffic()
    started = time.perf_counter()
    deadline = started + seconds
    threads = [threading.Thread(target=_Client(target, traffic, n).run, args=(deadline,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    traffic.seconds = time.perf_counter() - started
    return traffic


def warm_up(*, target: Target) -> Traffic:
    """One request of each kind, untimed by the report: each gunicorn worker's code loaded and connection open."""
    traffic = Traffic()
    client = _Client(target, traffic, number=10_000)
    for _ in range(2):
        for kind in MIX:
            client.one(kind)
    client.connection.close()
    return traffic


def log_in(*, port: int, username: str, password: str) -> str:
    """Logs in through the console's login page, as a person does (its form, its CSRF cookie); returns the
    session's cookie, "name=value", for the page requests to carry."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", "/login/")
        response = connection.getresponse()
        response.read()
        cookies = SimpleCookie(", ".join(response.headers.get_all("Set-Cookie") or []))
        csrf = cookies[settings.CSRF_COOKIE_NAME].value
        form = {"username": username, "password": password, "csrfmiddlewaretoken": csrf}
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"{settings.CSRF_COOKIE_NAME}={csrf}",
        }
        connection.request("POST", "/login/", body=urlencode(form), headers=headers)
        response = connection.getresponse()
        answer = response.read()
        cookies = SimpleCookie(", ".join(response.headers.get_all("Set-Cookie") or []))
    finally:
        connection.close()
    if response.status != 302 or settings.SESSION_COOKIE_NAME not in cookies:
        raise CommandError(f"the console login failed: {response.status} {answer[:300]!r}")
    return f"{settings.SESSION_COOKIE_NAME}={cookies[settings.SESSION_COOKIE_NAME].value}"
