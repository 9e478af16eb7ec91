"""API rate limits per token (or per console user): a counter per fixed window in the cache.

DRF's own throttles keep every request's timestamp in one cache value, which the cache copies whole on
each request: at the generous limit integrations need for decisions that is tens of thousands of
entries per call. A counter per window costs one `incr`, whatever the limit."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

_UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "1200/min" -> (1200, 60)."""
    count, _, unit = rate.partition("/")
    if not count.strip().isdigit() or unit.strip().lower() not in _UNITS:
        raise ValueError(f"{rate!r} is not a rate such as '1200/min'")
    return int(count), _UNITS[unit.strip().lower()]


class TokenRateThrottle(BaseThrottle):
    """The limit of the view's `throttle_scope` (API_RATE_LIMITS; "api" when the view names none)."""

    def allow_request(self, request, view) -> bool:
        scope = getattr(view, "throttle_scope", "api")
        rate = settings.API_RATE_LIMITS.get(scope)
        if not rate:
            return True
        limit, period = parse_rate(rate)
        now = time.time()
        window = int(now // period)
        key = f"api-rate:{scope}:{_caller(request)}:{window}"
        cache.add(key, 0, timeout=period + 1)
        try:
            used = cache.incr(key)
        except ValueError:  # the window's counter expired between add and incr
            cache.add(key, 1, timeout=period + 1)
            used = 1
        self._retry_after = (window + 1) * period - now
        return used <= limit

    def wait(self) -> float:
        return self._retry_after


def _caller(request) -> str:
    user = request.user
    token = getattr(user, "token", None)
    if token is not None:
        return f"token-{token.pk}"
    if user is not None and user.is_authenticated:
        return f"user-{user.pk}"
    # A view open to anyone (none in the API today, the benches' bare view) counts per address.
    return f"address-{request.META.get('REMOTE_ADDR', '')}"
