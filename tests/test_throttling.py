"""Logins are throttled per username and per address for a while, never for good; API requests are
limited per token with 429 and Retry-After, decisions on a generous line of their own."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.test import override_settings
from django.utils import timezone

from cxcore.throttling import parse_rate

pytestmark = pytest.mark.django_db

LOGIN = "/login/"


@pytest.fixture
def mid_window(monkeypatch):
    """The clock the API throttle reads stands still 30 s into a minute: requests straddling a window's end
    would start a new count and the test would pass or fail by the second it ran at."""
    monkeypatch.setattr("cxcore.throttling.time", SimpleNamespace(time=lambda: 1_800_000_030.0))


def attempt(client, username, password, address="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


@override_settings(AXES_FAILURE_LIMIT=5)
def test_wrong_passwords_lock_the_username_out_with_a_clear_message(client, cx_manager):
    cx_manager.set_password("the-right-one")
    cx_manager.save()

    answers = [attempt(client, "carla", f"wrong-{n}").status_code for n in range(6)]
    refused = attempt(client, "carla", "the-right-one")

    assert answers[:4] == [200] * 4  # the form again, with its error
    assert answers[5] == 429
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) == 15 * 60
    assert "Too many failed logins" in refused.content.decode()
    assert "_auth_user_id" not in client.session


@override_settings(AXES_FAILURE_LIMIT=5)
def test_the_lock_ends_after_the_cool_off(client, cx_manager):
    cx_manager.set_password("the-right-one")
    cx_manager.save()
    for n in range(5):
        attempt(client, "carla", f"wrong-{n}")

    from axes.models import AccessAttempt

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))

    assert attempt(client, "carla", "the-right-one").status_code == 302


@override_settings(AXES_FAILURE_LIMIT=5)
def test_one_address_trying_many_usernames_is_locked_out(client, cx_manager):
    for n in range(5):
        attempt(client, f"nobody-{n}", "guess", address="10.9.9.9")

    assert attempt(client, "someone-else", "guess", address="10.9.9.9").status_code == 429
    assert attempt(client, "someone-else", "guess", address="10.1.1.1").status_code == 200


@override_settings(AXES_FAILURE_LIMIT=5)
def test_a_success_clears_the_failures(client, cx_manager):
    cx_manager.set_password("the-right-one")
    cx_manager.save()
    for n in range(4):
        attempt(client, "carla", f"wrong-{n}")
    assert attempt(client, "carla", "the-right-one").status_code == 302
    client.logout()

    assert [attempt(client, "carla", f"again-{n}").status_code for n in range(4)] == [200] * 4


@override_settings(API_RATE_LIMITS={"api": "3/min", "decisions": "5/min"})
def test_api_requests_over_the_limit_answer_429_with_retry_after(api, make_token, mid_window):
    client = api(make_token("read", "decide"))

    answers = [client.get("/api/v1/principles").status_code for _ in range(4)]
    over = client.get("/api/v1/principles")

    assert answers == [200, 200, 200, 429]
    assert over.status_code == 429
    assert 0 < int(over["Retry-After"]) <= 60
    assert "throttled" in over.json()["detail"].lower()


@override_settings(API_RATE_LIMITS={"api": "3/min", "decisions": "5/min"})
def test_decisions_have_their_own_line_and_each_token_its_own_count(api, make_token, mid_window):
    first = api(make_token("read", "decide"))
    second = api(make_token("read", "decide"))
    question = {"customer": "nobody", "team": "marketing_devices", "category": "marketing", "channel": "email"}
    for _ in range(3):
        first.get("/api/v1/principles")

    decided = [first.post("/api/v1/decisions", question).status_code for _ in range(6)]

    assert 429 not in decided[:5]
    assert decided[5] == 429
    assert second.get("/api/v1/principles").status_code == 200


@pytest.mark.parametrize(("rate", "expected"), [("1200/min", (1200, 60)), ("5/s", (5, 1)), ("10/hour", (10, 3600))])
def test_rates_read(rate, expected):
    assert parse_rate(rate) == expected


def test_a_rate_without_a_unit_is_refused():
    with pytest.raises(ValueError, match="not a rate"):
        parse_rate("1200")


@override_settings(API_RATE_LIMITS={"api": "2/min"})
def test_a_view_open_to_anyone_is_counted_per_address(rf, mid_window):
    from rest_framework.permissions import AllowAny
    from rest_framework.response import Response
    from rest_framework.views import APIView

    class Open(APIView):
        permission_classes = [AllowAny]

        def get(self, request):
            return Response({"ok": True})

    view = Open.as_view()
    answers = [view(rf.get("/open", REMOTE_ADDR="10.0.0.7")).status_code for _ in range(3)]

    assert answers == [200, 200, 429]
    assert view(rf.get("/open", REMOTE_ADDR="10.0.0.8")).status_code == 200
