"""The schemas of cxcore's API bodies: a signal (with its fast path) and a customer's profile.

Built from cxcore.schemas' fields; each emits its OpenAPI fragment for the endpoint's documentation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .schemas import (
    Field,
    FieldError,
    Schema,
    aware_datetime,
    choice,
    consent_map,
    decimal_number,
    email,
    external_id_problem,
    external_id_text,
    iana_timezone,
    instant_in_range,
    integer,
    json_object,
    json_object_text,
    text,
    vocabulary_key,
)

_DATETIME = {"type": "string", "format": "date-time"}


def _string(max_length: int, description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "maxLength": max_length, "description": description, **extra}


SIGNAL_ITEM = Schema(
    {
        "customer": Field(
            external_id_text,
            _string(100, "External id of the customer (printable text); an unknown one is created."),
            required=True,
        ),
        "kind": Field(
            text(40),
            _string(
                40,
                "ticket_opened, ticket_eta_given, ticket_resolved, ticket_reopened, complaint, purchase, "
                "survey_response, contact; other kinds are stored and feed no fact.",
            ),
            required=True,
        ),
        "occurred_at": Field(
            aware_datetime, {**_DATETIME, "description": "ISO 8601 with a UTC offset."}, required=True
        ),
        "idempotency_key": Field(
            text(200), _string(200, "Makes a retry harmless; derived from the item's content when absent.")
        ),
        "source": Field(
            text(100),
            _string(100, "The sending integration, the token's name (the default); it scopes the idempotency keys."),
        ),
        "direction": Field(choice(["in", "out"]), {"type": "string", "enum": ["in", "out"], "default": "in"}),
        "channel": Field(vocabulary_key("channel"), _string(40, "A channel key (email, sms, phone, ...).")),
        "team": Field(vocabulary_key("team"), _string(40, "A team key (cx, service, sales, ...).")),
        "category": Field(vocabulary_key("category"), _string(40, "An interaction category key.")),
        "ticket_ref": Field(text(100), _string(100, "Ticket reference.")),
        "issue_key": Field(text(100), _string(100, "The problem a ticket is about; recurrences share it.")),
        "severity": Field(choice(["low", "normal", "high"]), {"type": "string", "enum": ["low", "normal", "high"]}),
        "eta": Field(aware_datetime, {**_DATETIME, "description": "Estimated resolution time, with a UTC offset."}),
        "amount": Field(
            decimal_number(max_digits=14, places=2, strings=True),
            {"type": "number", "description": "Purchase amount (a number or a numeric string)."},
        ),
        "score": Field(decimal_number(max_digits=6, places=2), {"type": "number", "description": "Survey score."}),
        "scale": Field(
            integer(minimum=1, maximum=32767), {"type": "integer", "minimum": 1, "description": "Survey scale."}
        ),
        "payload": Field(json_object_text, {"type": "object", "additionalProperties": True}),
    },
    description="One signal: flat; unknown fields are an error.",
)

# The fast path of SIGNAL_ITEM: the same checks inline, for the common item that is plainly valid.
# A batch of 1000 spends most of its validation time in per-field calls and error bookkeeping that a
# valid item never needs. It only ever accepts what SIGNAL_ITEM accepts, with the same clean values
# (a test holds the two to agreement); anything else, including every invalid item, answers None,
# and the caller runs SIGNAL_ITEM.validate, which names the errors.
_FAST_TEXT = {"customer": 100, "kind": 40, "idempotency_key": 200, "source": 100, "ticket_ref": 100, "issue_key": 100}
_FAST_DATETIME = frozenset({"occurred_at", "eta"})
_FAST_CHOICE = {"direction": frozenset({"in", "out"}), "severity": frozenset({"low", "normal", "high"})}
_FAST_REQUIRED = frozenset(SIGNAL_ITEM.required)
_fromisoformat = dt.datetime.fromisoformat


def signal_item_clean_fast(item: Any, *, vocabularies: dict[str, frozenset[str]]) -> dict[str, Any] | None:
    """SIGNAL_ITEM's clean values of a plainly valid item, else None (then validate it the slow way).

    `vocabularies` maps channel, team and category to their known keys (a key missing there sends
    the item down the slow path, which reloads the keys).
    """
    if type(item) is not dict or not item.keys() >= _FAST_REQUIRED:
        return None
    clean: dict[str, Any] = {}
    for name, value in item.items():
        max_length = _FAST_TEXT.get(name)
        if max_length is not None:
            if type(value) is not str or not value or len(value) > max_length:
                return None
            if value.isspace() or "\x00" in value:
                return None
            if not value.isascii():
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError:
                    return None
        elif name in _FAST_DATETIME:
            if type(value) is not str:
                return None
            try:
                parsed = _fromisoformat(value)
                if parsed.tzinfo is None or parsed.utcoffset() is None:
                    return None
                value = instant_in_range(parsed.astimezone(dt.UTC))
            except (ValueError, OverflowError):  # FieldError is a ValueError
                return None
        elif name in vocabularies:
            if type(value) is not str or value not in vocabularies[name]:
                return None
        elif name in _FAST_CHOICE:
            if type(value) is not str or value not in _FAST_CHOICE[name]:
                return None
        else:
            field = SIGNAL_ITEM.fields.get(name)
            if field is None:
                return None
            try:
                value = field.parse(value)  # payload, amount, score, scale: the generic parsers
            except FieldError:
                return None
        clean[name] = value
    # An id of printable text without a dot (the common case) needs no closer look.
    customer = clean["customer"]
    if (not customer.isprintable() or "." in customer) and external_id_problem(customer) is not None:
        return None
    return clean


CUSTOMER_PROFILE = Schema(
    {
        "name": Field(text(200, blank=True), _string(200, "Display name.")),
        "email": Field(email, {"type": "string", "format": "email", "maxLength": 254}),
        "phone": Field(text(40, blank=True), _string(40, "Phone number.")),
        "segment": Field(text(40, blank=True), _string(40, "Segment, e.g. smb.")),
        "region": Field(text(40, blank=True), _string(40, "Region.")),
        "timezone": Field(iana_timezone, {"type": "string", "description": "IANA time zone, e.g. Europe/Berlin."}),
        "lifetime_value": Field(
            decimal_number(max_digits=14, places=2, strings=True),
            {"type": "number", "description": "Lifetime value (a number or a numeric string)."},
        ),
        "attributes": Field(json_object, {"type": "object", "additionalProperties": True}),
        "consent": Field(
            consent_map,
            {
                "type": "object",
                "additionalProperties": {"type": "boolean"},
                "description": "Channel -> consent; a channel not listed has no consent.",
            },
        ),
    },
    description="A customer's profile; fields left out keep their stored value.",
)
