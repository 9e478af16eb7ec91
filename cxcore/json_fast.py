"""orjson where its answer is the standard library's, and the standard library everywhere else.

A batch of 1000 signals is parsed once and its payloads encoded once per request: orjson does both
several times faster. It differs from the standard library on a few inputs, and those go to the
standard library, so that what is accepted, what is rejected with which message, and every value
stored stay exactly as they were:
- orjson reads an integer beyond 64 bits as a float: a body with 19 digits in a row is parsed by
  the standard library (a long digit string inside a text only costs the slower parse);
- orjson's errors name other causes than the standard library's: on any error the caller parses
  again the standard way and reports that error;
- orjson writes NaN and infinities as null, where the payload check rejects them: an encoding that
  holds "null" is done again the standard way (a payload with a real null only costs that).

Content-derived idempotency keys are never encoded here: their text must not change by a byte.

A JSON column's value (dumps_like) is encoded by orjson where the text reads back to the value the
standard library's would, with the column's encoder: every decision writes a log row with JSON
columns, so their encoding is on the decision path.
"""

from __future__ import annotations

import functools
import json
import math
from typing import Any

import orjson

_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_WIDE_INTEGER = b"0" * 19  # 18 digits always fit in 64 bits
# Datetimes, dataclasses and subclasses of the JSON types go to the standard library (which fails
# on the first two, as before). Only Python callers can pass those, or UUIDs and enums, which orjson
# encodes as their text and value where the standard library fails: JSON parsed from a request
# holds dicts, lists, strings, numbers, booleans and nulls only.
_ENCODE_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS


def loads(raw: bytes) -> tuple[bool, Any]:
    """(True, value) when orjson parsed the UTF-8 JSON `raw` to what json.loads gives; (False, None)
    when the caller must parse it with the standard library (its value or its error)."""
    if _WIDE_INTEGER in raw.translate(_DIGITS_AS_ZERO):
        return False, None
    try:
        return True, orjson.loads(raw)
    except orjson.JSONDecodeError:
        return False, None


def dumps_object(value: dict[str, Any]) -> str | None:
    """The JSON text of `value` as json.JSONEncoder(ensure_ascii=False, allow_nan=False) would read it
    back (same characters escaped the same way; compact separators, and floats may be written in
    another but equal form); None when the caller must encode it with the standard library."""
    try:
        text = orjson.dumps(value, option=_ENCODE_OPTIONS)
    except (orjson.JSONEncodeError, TypeError):
        return None
    if b"null" in text:
        return None
    return text.decode()


# Datetimes, dates and times go to the encoder's default(), as the standard library sends them.
_LIKE_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


@functools.cache
def _default(encoder: type[json.JSONEncoder] | None):
    return (encoder or json.JSONEncoder)().default


def dumps_like(value: Any, *, encoder: type[json.JSONEncoder] | None = None) -> str:
    """JSON text that reads back (into jsonb, or by json.loads) to what json.dumps(value, cls=encoder)
    gives, as a JSONField stores it: the same value, not the same characters (separators, escapes and
    the form of a float may differ). Whatever the encoder's default() converts, it converts here.

    orjson falls back to the standard library, whose text or error is then the answer, wherever the
    two differ: big integers, keys that are not strings, lone surrogates, deep nesting (orjson
    refuses them), and infinities and NaN (orjson writes them as null). Like dumps_object, orjson
    encodes UUIDs and enums where the standard library would fail without the encoder's help.
    """
    try:
        text = orjson.dumps(value, default=_default(encoder), option=_LIKE_OPTIONS)
    except orjson.JSONEncodeError:
        return json.dumps(value, cls=encoder)
    if b"null" in text and _holds_non_finite(value):
        return json.dumps(value, cls=encoder)
    return text.decode()


# Values that hold no float: a walk steps over them without a call (a decision's facts are mostly these).
_NO_FLOAT = frozenset({str, int, bool, type(None)})


def _holds_non_finite(value: Any) -> bool:
    kind = type(value)
    if kind is dict:
        items = value.values()
    elif kind is list or kind is tuple:
        items = value
    elif isinstance(value, float):
        return not math.isfinite(value)
    elif isinstance(value, dict):
        items = value.values()
    elif isinstance(value, list | tuple):
        items = value
    else:
        return False
    for item in items:  # noqa: SIM110 -- a loop, not any() over a generator: a call less per item
        if type(item) not in _NO_FLOAT and _holds_non_finite(item):
            return True
    return False


def dumps_floatless(value: Any, *, default: Any = None) -> str:
    """JSON text of a value its caller knows holds no float (where orjson and the standard library part ways
    on non-finite ones, and dumps_like walks the whole value to find any: the incremental run's documents of
    thousands of rows, all integers, texts, booleans and nulls, paid for that walk). `default` converts what
    JSON has no type for (datetimes included), as json.dumps' does; a value orjson refuses (an integer beyond
    64 bits) is encoded by the standard library."""
    try:
        return orjson.dumps(value, default=default, option=orjson.OPT_PASSTHROUGH_DATETIME).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, default=default)
