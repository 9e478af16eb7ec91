"""Parsing shared by the stage commands: ISO times and durations like 1d, 6h, 30m."""

from __future__ import annotations

import datetime as dt
import re

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

_STEP = re.compile(r"^(\d+)([dhm])$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_time(value: str) -> dt.datetime:
    """An ISO 8601 time or date (a date means its midnight UTC); naive times are UTC."""
    parsed = parse_datetime(value)
    if parsed is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"not an ISO 8601 time: {value!r}")
        parsed = dt.datetime.combine(day, dt.time())
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=dt.UTC)


def parse_step(value: str) -> dt.timedelta:
    match = _STEP.match(value)
    if not match or int(match.group(1)) == 0:
        raise CommandError(f"not a step like 1d, 6h or 30m: {value!r}")
    return dt.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
