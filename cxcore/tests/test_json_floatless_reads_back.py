"""A document without floats encoded by orjson (json_fast.dumps_floatless, the incremental run's batch writes)
reads back as the standard library's, its default() converting the same values."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from hypothesis import example, given
from hypothesis import strategies as st

from cxcore import json_fast
from cxcore.tests.test_signal_ingest_json_fast_agrees import typed


def convert(value):
    # As the facts rows' writer converts an instant and a decimal (stored_from_checkpoint._json_value).
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value).__name__)


def outcome(encode, value):
    try:
        text = encode(value)
    except (TypeError, ValueError) as exc:
        return ("error", type(exc).__name__)
    return ("ok", typed(json.loads(text)))


leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),  # around the 64 bits orjson takes
    st.text(),  # lone surrogates included: orjson refuses them
    st.decimals(allow_nan=False),
    st.datetimes(timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=-5))])),
)
documents = st.recursive(
    leaves, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
)


@given(value=documents)
@example(value=[[2**64, "\ud800", None], {"as_of": dt.datetime(2026, 12, 7, tzinfo=dt.UTC), "v": Decimal("1.50")}])
def test_a_floatless_document_reads_back_as_the_standard_librarys(value):
    ours = outcome(lambda v: json_fast.dumps_floatless(v, default=convert), value)
    assert ours == outcome(lambda v: json.dumps(v, default=convert), value)
