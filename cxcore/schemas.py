"""Typed schemas for the JSON the API accepts.

Plain Python rather than DRF serializers: a batch of 1000 signals must validate in a few
milliseconds, and every error of every item is collected as {"index", "field", "message"}.
Each field also carries its OpenAPI fragment, so the documented schema is generated from the
same definitions that validate (see `Schema.openapi`).
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import json
import math
import unicodedata
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email

from . import json_fast
from .selectors import vocabulary_has_key, vocabulary_keys


class FieldError(ValueError):
    """A value a field does not accept; the message is shown to the sender."""


class InvalidInput(Exception):
    """Input rejected as a whole: `errors` lists every problem as {"index", "field", "message"}."""

    def __init__(self, detail: str, errors: list[dict[str, Any]]):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


def error(index: int | None, field: str | None, message: str) -> dict[str, Any]:
    return {"index": index, "field": field, "message": message}


Parser = Callable[[Any], Any]


@dataclass(frozen=True)
class Field:
    parse: Parser
    openapi: dict[str, Any]
    required: bool = False
    nullable: bool = False  # null stands for the default, as if the field were left out
    missing: str = "This field is required."  # the message when a required field is left out


class Schema:
    """A flat JSON object with known fields; unknown fields are an error."""

    def __init__(self, fields: dict[str, Field], *, description: str = ""):
        self.fields = fields
        self.required = tuple(name for name, field in fields.items() if field.required)
        self.description = description

    def validate(self, data: Any, *, errors: list[dict[str, Any]], index: int | None = None) -> dict[str, Any] | None:
        """The cleaned values of the fields given; None (and `errors` appended) when anything is wrong."""
        if not isinstance(data, dict):
            errors.append(error(index, None, "Must be a JSON object."))
            return None
        clean: dict[str, Any] = {}
        failed = False
        for name in self.required:
            if name not in data:
                errors.append(error(index, name, self.fields[name].missing))
                failed = True
        for name, value in data.items():
            field = self.fields.get(name)
            if field is None:
                errors.append(error(index, str(name), "Unknown field."))
                failed = True
                continue
            if value is None and field.nullable:
                continue
            try:
                clean[name] = field.parse(value)
            except FieldError as exc:
                errors.append(error(index, name, str(exc)))
                failed = True
        return None if failed else clean

    def openapi(self, *, example: dict[str, Any] | None = None) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {
                name: {**field.openapi, "nullable": True} if field.nullable else field.openapi
                for name, field in self.fields.items()
            },
            "additionalProperties": False,
        }
        if self.required:
            schema["required"] = list(self.required)
        if self.description:
            schema["description"] = self.description
        if example is not None:
            schema["example"] = example
        return schema


# -- field parsers ---------------------------------------------------------------------------------


def _check_text(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and a lone surrogate cannot be encoded: both would be a 500.
    if "\x00" in value:
        raise FieldError("Must not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise FieldError("Must be valid Unicode text.") from None
    return value


def text(max_length: int, *, blank: bool = False) -> Parser:
    def parse(value: Any) -> str:
        if not isinstance(value, str):
            raise FieldError("Must be a string.")
        if not blank and not value.strip():
            raise FieldError("Must not be empty.")
        if len(value) > max_length:
            raise FieldError(f"At most {max_length} characters.")
        return _check_text(value)

    return parse


_DOT_SEGMENTS = frozenset({".", ".."})


def external_id_problem(value: str) -> str | None:
    """Why a customer's external id (already valid text) cannot be taken, or None.

    Any printable text works in every page and endpoint (URL-encoded), slashes included. Refused:
    control characters (a line break, a tab: they cannot be shown, typed or carried in a link), and
    "." or ".." between slashes, which browsers and HTTP clients resolve as they would a directory's
    before the request leaves ("a/../b" asks for "b"), so that customer's page could never be reached.
    """
    if not value.isprintable() and any(unicodedata.category(c) == "Cc" for c in value):
        return "Must not contain control characters (line breaks, tabs, ...)."
    if "." in value and not _DOT_SEGMENTS.isdisjoint(value.split("/")):
        return 'Must not have "." or ".." as a part between slashes: a URL cannot carry it.'
    return None


def external_id_text(value: Any) -> str:
    value = text(100)(value)
    problem = external_id_problem(value)
    if problem is not None:
        raise FieldError(problem)
    return value


def choice(values: Iterable[str]) -> Parser:
    allowed = tuple(values)
    shown = ", ".join(f'"{v}"' for v in allowed)

    def parse(value: Any) -> str:
        if value not in allowed or not isinstance(value, str):
            raise FieldError(f"Must be one of {shown}.")
        return value

    return parse


# Every instant the API accepts (a signal's occurred_at and eta, a decision's or a view's `at`) lies in
# this range: from the epoch to a year from now. Anything else is a typing error, and evaluating it
# would overflow (a 90-day window before year 1).
EARLIEST_INSTANT = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
INSTANT_HORIZON = dt.timedelta(days=365)


def instant_in_range(value: dt.datetime) -> dt.datetime:
    """`value` (aware) when it lies from EARLIEST_INSTANT to INSTANT_HORIZON from now; else FieldError."""
    latest = dt.datetime.now(dt.UTC) + INSTANT_HORIZON
    if not EARLIEST_INSTANT <= value <= latest:
        raise FieldError(f"Must lie between 1970-01-01 and one year from now ({latest:%Y-%m-%d}).")
    return value


def aware_datetime(value: Any) -> dt.datetime:
    """ISO 8601 with a UTC offset (or Z), normalised to UTC, in the range the API accepts (instant_in_range)."""
    if not isinstance(value, str):
        raise FieldError("Must be an ISO 8601 string with a UTC offset, e.g. 2024-05-01T09:30:00+02:00.")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise FieldError(f"Not an ISO 8601 date-time: {value[:40]!r}.") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise FieldError("Needs a UTC offset (e.g. +02:00 or Z): a time without one is ambiguous.")
    try:
        parsed = parsed.astimezone(dt.UTC)
    except OverflowError:
        raise FieldError("Must lie between 1970-01-01 and one year from now.") from None
    return instant_in_range(parsed)


def decimal_number(*, max_digits: int, places: int, strings: bool = False) -> Parser:
    """A JSON number (or, with `strings`, a numeric string) that fits numeric(max_digits, places)."""
    limit = decimal.Decimal(10) ** (max_digits - places)
    quantum = decimal.Decimal(1).scaleb(-places)
    kinds = "a number or a numeric string" if strings else "a number"

    def parse(value: Any) -> decimal.Decimal:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise FieldError(f"Must be {kinds}.")
        if isinstance(value, str) and not strings:
            raise FieldError(f"Must be {kinds}.")
        if isinstance(value, str) and len(value) > 40:
            raise FieldError(f"Must be {kinds}.")
        try:
            number = decimal.Decimal(str(value).strip())
        except decimal.InvalidOperation:
            raise FieldError(f"Must be {kinds}.") from None
        if not number.is_finite():
            raise FieldError("Must be a finite number.")
        # By its exponent: arithmetic on 1e999999999 overflows the decimal context.
        if number and number.adjusted() >= max_digits - places:
            raise FieldError(f"Must be less than {limit:,} in absolute value.")
        if number != number.quantize(quantum, rounding=decimal.ROUND_HALF_EVEN):
            raise FieldError(f"At most {places} decimal places.")
        return number.quantize(quantum)

    return parse


def integer(*, minimum: int, maximum: int) -> Parser:
    def parse(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer() and math.isfinite(value):
                value = int(value)
            else:
                raise FieldError("Must be an integer.")
        if not minimum <= value <= maximum:
            raise FieldError(f"Must be between {minimum} and {maximum}.")
        return value

    return parse


# One encoder for every payload: json.dumps with options builds a new encoder per call.
_PAYLOAD_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False)


# A JSON object the API stores (a signal's payload, a customer's attributes) nests at most this many
# levels (the object itself is the first) and encodes to at most this many characters: deeper, it is
# stored but every later read of it overflows the stack (a 500 for good); larger, it is not data a
# rule or a page can use.
MAX_JSON_DEPTH = 10
MAX_JSON_CHARS = 32_768


def _json_depth_exceeded(value: dict[str, Any]) -> bool:
    """Whether `value` nests deeper than MAX_JSON_DEPTH; walked with a stack, so any depth is safe to ask."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        container, depth = pending.pop()
        for item in container.values() if isinstance(container, dict) else container:
            if isinstance(item, (dict, list)):  # a tuple: isinstance with a union is slower
                if depth == MAX_JSON_DEPTH:
                    return True
                pending.append((item, depth + 1))
    return False


def json_object_text(value: Any) -> str:
    """A JSON object, returned as its JSON text: validating it means encoding it anyway."""
    if not isinstance(value, dict):
        raise FieldError("Must be a JSON object.")
    if _json_depth_exceeded(value):
        raise FieldError(f"Must not nest more than {MAX_JSON_DEPTH} levels deep.")
    dumped = json_fast.dumps_object(value)
    if dumped is None:
        try:
            dumped = _PAYLOAD_ENCODER.encode(value)
            dumped.encode("utf-8")
        except (ValueError, RecursionError):
            raise FieldError("Must be plain JSON (finite numbers, valid Unicode, bounded depth).") from None
    if "\\u0000" in dumped:
        raise FieldError("Must not contain NUL characters.")
    if len(dumped) > MAX_JSON_CHARS:
        raise FieldError(f"Must encode to at most {MAX_JSON_CHARS:,} characters of JSON; this is {len(dumped):,}.")
    return dumped


def json_object(value: Any) -> dict[str, Any]:
    json_object_text(value)
    return value


def vocabulary_key(vocabulary: str) -> Parser:
    def parse(value: Any) -> str:
        if not isinstance(value, str) or not vocabulary_has_key(vocabulary=vocabulary, key=value):
            known = ", ".join(sorted(vocabulary_keys(vocabulary=vocabulary)))
            raise FieldError(f"Unknown {vocabulary} key; known: {known}.")
        return value

    return parse


def email(value: Any) -> str:
    value = text(254, blank=True)(value)
    if value:
        try:
            validate_email(value)
        except DjangoValidationError:
            raise FieldError("Not a valid email address.") from None
    return value


@functools.cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def iana_timezone(value: Any) -> str:
    if not isinstance(value, str) or value not in _timezones():
        raise FieldError('Must be an IANA time zone name, e.g. "Europe/Berlin".')
    return value


def consent_map(value: Any) -> dict[str, bool]:
    if not isinstance(value, dict):
        raise FieldError('Must be an object of channel -> true/false, e.g. {"email": true}.')
    problems = []
    for channel, given in value.items():
        if not vocabulary_has_key(vocabulary="channel", key=channel):
            problems.append(f"unknown channel {channel[:40]!r}")
        elif not isinstance(given, bool):
            problems.append(f"{channel}: must be true or false")
    if problems:
        raise FieldError("; ".join(problems) + ".")
    return dict(value)
