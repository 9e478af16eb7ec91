"""HTTP to a stack served as behind a TLS-terminating proxy (tests/test_production_run.py): plain HTTP on
loopback with the proxy's X-Forwarded-Proto and the public host, and cookies kept by hand, since a client's
cookie jar would not send Secure cookies over http://."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    text: str

    def json(self) -> Any:
        return json.loads(self.text)

    def form_value(self, name: str) -> str:
        """The value of the first input of that name on the page."""
        for element in _Elements.parse(self.text).inputs:
            if element.get("name") == name:
                return element.get("value", "")
        raise AssertionError(f"no input named {name!r} on the page")


class Client:
    """One caller: a browser (session cookie, CSRF token) or an integration (`bearer`)."""

    def __init__(self, port: int, *, host: str, bearer: str | None = None):
        self.port = port
        self.host = host
        self.bearer = bearer
        self.cookies = SimpleCookie()

    def request(self, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None) -> Answer:
        sent = {"Host": self.host, "X-Forwarded-Proto": "https", **(headers or {})}
        if self.bearer:
            sent["Authorization"] = f"Bearer {self.bearer}"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={morsel.value}" for name, morsel in self.cookies.items())
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            text = response.read().decode()
        finally:
            conn.close()
        for header in response.msg.get_all("Set-Cookie") or []:
            self.cookies.load(header)
        return Answer(response.status, response.msg, text)

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post_json(self, path: str, data: Any) -> Answer:
        return self._send("POST", path, data)

    def put_json(self, path: str, data: Any) -> Answer:
        return self._send("PUT", path, data)

    def _send(self, method: str, path: str, data: Any) -> Answer:
        return self.request(method, path, body=json.dumps(data).encode(), headers={"Content-Type": "application/json"})

    def post_form(self, path: str, form: dict[str, str], *, headers: dict | None = None) -> Answer:
        origin = f"https://{self.host}"
        sent = {"Content-Type": "application/x-www-form-urlencoded", "Origin": origin, "Referer": origin + path}
        return self.request("POST", path, body=urlencode(form).encode(), headers={**sent, **(headers or {})})

    def cookie_flags(self, name: str) -> set[str]:
        morsel = self.cookies[name]
        return {flag for flag in ("secure", "httponly") if morsel[flag]}


@dataclass
class Element:
    attrs: dict[str, str]
    text: str = ""


class _Elements(HTMLParser):
    """Every element with a data-testid (its attributes and whitespace-collapsed text) and every input."""

    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})

    def __init__(self):
        super().__init__()
        self.found: dict[str, list[Element]] = {}
        self.inputs: list[dict[str, str]] = []
        self.open: list[tuple[str, dict[str, str], list[str]]] = []

    @classmethod
    def parse(cls, html: str) -> _Elements:
        parser = cls()
        parser.feed(html)
        parser.close()
        return parser

    def handle_starttag(self, tag, attrs):
        attrs = {key: value or "" for key, value in attrs}
        if tag == "input":
            self.inputs.append(attrs)
        if tag in self.VOID:
            if "data-testid" in attrs:
                self.found.setdefault(attrs["data-testid"], []).append(Element(attrs))
            return
        self.open.append((tag, attrs, []))

    def handle_endtag(self, tag):
        if not any(name == tag for name, _, _ in self.open):
            return  # a stray end tag closes nothing
        while self.open:
            name, attrs, parts = self.open.pop()
            text = "".join(parts)
            if self.open:
                self.open[-1][2].append(text)
            if "data-testid" in attrs:
                self.found.setdefault(attrs["data-testid"], []).append(Element(attrs, " ".join(text.split())))
            if name == tag:
                return

    def handle_data(self, data):
        if self.open:
            self.open[-1][2].append(data)


def by_testid(html: str) -> dict[str, list[Element]]:
    """The page's elements by data-testid, in document order of their end."""
    return _Elements.parse(html).found
