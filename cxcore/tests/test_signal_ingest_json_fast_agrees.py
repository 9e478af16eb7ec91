"""orjson parses bodies and encodes payloads only where the standard library would give the same answer."""

from __future__ import annotations

import io
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework import exceptions, parsers

from cxcore import api, json_fast
from cxcore.models import Signal
from cxcore.schemas import MAX_JSON_CHARS, MAX_JSON_DEPTH, FieldError, json_object_text


def typed(value):
    """`value` with every scalar tagged by its type: 1, 1.0 and True compare equal, these do not."""
    if isinstance(value, dict):
        return ("dict", [(key, typed(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("list", [typed(item) for item in value])
    if isinstance(value, float):
        return ("float", "nan" if math.isnan(value) else repr(value))
    return (type(value).__name__, value)


def drf_parse(raw: bytes, encoding: str = "utf-8"):
    """DRF's own JSON parser: its value, or its error message."""
    try:
        return typed(parsers.JSONParser().parse(io.BytesIO(raw), "application/json", {"encoding": encoding}))
    except exceptions.ParseError as exc:
        return ("error", str(exc.detail))


def our_parse(raw: bytes, encoding: str = "utf-8"):
    try:
        return typed(api.JSONParser().parse(io.BytesIO(raw), "application/json", {"encoding": encoding}))
    except exceptions.ParseError as exc:
        return ("error", str(exc.detail))


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),  # around the 64 bits orjson reads as integers
    st.floats(allow_nan=False),
    st.text(),
)
documents = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
)
# Literals either parser may read differently: big numbers, escapes, surrogates, constants, BOMs.
fragments = st.sampled_from(
    [
        "1e400", "-1e400", "1e-400", "123456789012345678901234567890", "18446744073709551616",
        "-9223372036854775809", "9223372036854775807", "1.0", "-0", "-0.0", "0.1e1", "1E2", "01", "1.",
        '"\\ud800"', '"\\udc00\\ud800"', '"\\ud83d\\ude00"', '"\\u0000"', '"\x01"', '"\x7f"', '"\\/"', '"\\x"',
        "NaN", "Infinity", "-Infinity", "true", "nul", "[", "]", "{", "}", ",", ":", " ", "\t", "\n", "\x0c",
        "\ufeff", '"é"', '{"a":1,"a":2}',
    ]
)  # fmt: skip
raw_texts = st.lists(fragments | st.text(max_size=3), max_size=8).map("".join)


@settings(max_examples=500, deadline=None)
@given(document=documents, spaced=st.booleans())
def test_a_json_document_parses_to_the_same_typed_value(document, spaced):
    raw = json.dumps(document, separators=(", ", ": ") if spaced else (",", ":"), ensure_ascii=False).encode(
        "utf-8", "surrogatepass"
    )

    assert our_parse(raw) == drf_parse(raw)


@settings(max_examples=1000, deadline=None)
@given(raw=raw_texts | st.binary(max_size=20))
def test_any_body_gets_the_same_value_or_the_same_error(raw):
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")

    assert our_parse(raw) == drf_parse(raw)


def test_a_body_in_another_charset_is_parsed_as_drf_does():
    raw = '{"name": "Café"}'.encode("latin-1")

    assert our_parse(raw, "latin-1") == drf_parse(raw, "latin-1") == typed({"name": "Café"})
    assert our_parse(raw, "no-such-charset") == drf_parse(raw, "no-such-charset")


def depth(value) -> int:
    if isinstance(value, dict | list):
        return 1 + max(map(depth, value.values() if isinstance(value, dict) else value), default=0)
    return 0


def reference_text(value):
    """The payload check without orjson: the standard library's text, or its error."""
    if depth(value) > MAX_JSON_DEPTH:
        return ("error", f"Must not nest more than {MAX_JSON_DEPTH} levels deep.")
    try:
        dumped = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode(value)
        dumped.encode("utf-8")
    except (ValueError, RecursionError):
        return ("error", "Must be plain JSON (finite numbers, valid Unicode, bounded depth).")
    if "\\u0000" in dumped:
        return ("error", "Must not contain NUL characters.")
    if len(dumped) > MAX_JSON_CHARS:
        return ("error", f"Must encode to at most {MAX_JSON_CHARS:,} characters of JSON; this is {len(dumped):,}.")
    return ("ok", typed(json.loads(dumped)))


def checked_text(value):
    try:
        return ("ok", typed(json.loads(json_object_text(value))))
    except FieldError as exc:
        return ("error", str(exc))


payload_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),  # NaN and infinities included: both must refuse them
    st.text(),  # lone surrogates and NULs included
    st.sampled_from(["a\\u0000b", "nul\x00", "\ud800", "null"]),
)
payloads = st.dictionaries(
    st.text(max_size=5) | st.integers(min_value=-3, max_value=3),
    st.recursive(
        payload_scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    ),
    max_size=4,
)


@settings(max_examples=1000, deadline=None)
@given(payload=payloads)
def test_a_payload_is_accepted_and_stored_as_the_standard_library_would(payload):
    assert checked_text(payload) == reference_text(payload)


def test_a_deep_or_circular_payload_is_refused():
    deep: dict = {}
    inner = deep
    for _ in range(300):  # deeper than orjson encodes, shallow enough for the standard library
        inner["a"] = inner = {}
    circular: dict = {}
    circular["self"] = circular

    assert checked_text(deep) == reference_text(deep) == ("error", "Must not nest more than 10 levels deep.")
    assert checked_text(circular) == ("error", "Must not nest more than 10 levels deep.")


def test_json_fast_leaves_wide_integers_to_the_standard_library():
    assert json_fast.loads(b'{"n": 123456789012345678}') == (True, {"n": 123456789012345678})
    assert json_fast.loads(b'{"n": 1234567890123456789}') == (False, None)
    assert json_fast.loads(b'{"n": NaN}') == (False, None)


@pytest.mark.django_db
def test_a_payload_with_a_wide_integer_is_stored_exactly(api, make_token):
    wide = 123456789012345678901234567890
    item = {"customer": "C1", "kind": "purchase", "occurred_at": "2024-05-01T09:00:00Z", "payload": {"n": wide}}

    response = api(make_token("ingest")).post("/api/v1/signals", raw=json.dumps({"signals": [item]}))

    assert response.status_code == 201
    assert Signal.objects.get().payload == {"n": wide}


@pytest.mark.django_db
def test_malformed_json_gets_drfs_message(api, make_token):
    response = api(make_token("ingest")).post("/api/v1/signals", raw='{"signals": [')

    assert response.status_code == 400
    assert response.json()["detail"] == (
        "Malformed JSON: JSON parse error - Expecting value: line 1 column 14 (char 13)"
    )
