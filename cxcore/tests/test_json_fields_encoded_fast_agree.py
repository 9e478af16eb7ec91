"""A JSON column's value encoded by orjson (json_fast.dumps_like) reads back as the standard library's."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cxcore import json_fast
from cxcore.tests.test_signal_ingest_json_fast_agrees import typed


def outcome(encode, value):
    """The value its text reads back to (tagged by type), or the kind of error encoding it raises."""
    try:
        text = encode(value)
    except (TypeError, ValueError, RecursionError) as exc:
        return ("error", type(exc).__name__)
    return ("ok", typed(json.loads(text)))


def agree(value, encoder):
    ours = outcome(lambda v: json_fast.dumps_like(v, encoder=encoder), value)
    return ours == outcome(lambda v: json.dumps(v, cls=encoder), value), ours


plain = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),  # around the 64 bits orjson takes
    st.floats(),  # NaN and infinities included: orjson writes them as null
    st.text(),  # lone surrogates included: orjson refuses them
)
# What the decision log's facts and actions hold besides: Decimals, datetimes and the like.
converted = st.one_of(
    st.decimals(allow_nan=True),
    st.datetimes(timezones=st.sampled_from([None, dt.UTC, dt.timezone(dt.timedelta(hours=-5))])),
    st.dates(),
    st.times(),
    st.timedeltas(),
    st.uuids(),
)
keys = st.one_of(st.text(max_size=5), st.integers(), st.booleans(), st.none())  # the standard library converts these


# Where orjson and the standard library part ways, every time: orjson writes non-finite floats as
# null, and refuses big integers, keys that are not text and lone surrogates.
PARTING = [[float("nan")], {"x": float("-inf"), "y": None}, 2**64, {1: "a", None: "b"}, "\ud800"]


def parting(test):
    for value in PARTING:
        test = example(value=value)(test)
    return test


def documents(scalars):
    return st.recursive(
        scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4), max_leaves=12
    )


@settings(max_examples=500, deadline=None)
@given(value=documents(plain | converted))
@parting
@example(value=[Decimal("NaN"), dt.datetime(2026, 3, 10, 12, 0, 0, 123456, tzinfo=dt.UTC), dt.timedelta(hours=1)])
def test_with_djangos_encoder_the_value_read_back_is_the_standard_librarys(value):
    same, ours = agree(value, DjangoJSONEncoder)

    assert same, ours


@settings(max_examples=300, deadline=None)
@given(value=documents(plain | st.decimals(allow_nan=False) | st.datetimes()))
@parting
@example(value={"x": Decimal("1.5")})
def test_without_an_encoder_what_the_standard_library_refuses_is_refused(value):
    same, ours = agree(value, None)

    assert same, ours


def test_a_nested_document_deeper_than_orjson_takes_is_encoded_the_standard_way():
    deep = [Decimal("1.5")]
    for _ in range(300):
        deep = [deep]

    assert agree(deep, DjangoJSONEncoder) == (True, outcome(lambda v: json.dumps(v, cls=DjangoJSONEncoder), deep))


def test_a_uuid_without_an_encoder_is_written_as_its_text():
    # The one difference, documented: only Python callers can pass a UUID, and a field with no
    # encoder would have refused it.
    value = uuid.UUID(int=1)

    assert json_fast.dumps_like({"id": value}) == '{"id":"00000000-0000-0000-0000-000000000001"}'
