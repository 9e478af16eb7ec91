"""The fast path of signal validation accepts only what the schema accepts, with the same values."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxcore.api_schemas import SIGNAL_ITEM, signal_item_clean_fast
from cxcore.selectors import vocabulary_cache_clear, vocabulary_keys

FIELDS = [
    "customer", "kind", "occurred_at", "idempotency_key", "source", "direction", "channel", "team", "category",
    "ticket_ref", "issue_key", "severity", "eta", "amount", "score", "scale", "payload", "colour",
]  # fmt: skip

plausible = st.sampled_from(
    [
        "M-1", "purchase", "email", "phone", "sales", "service", "marketing", "in", "out", "low", "high",
        "2024-05-01T09:00:00Z", "2024-05-01T09:00:00+02:00", "2024-05-01T09:00:00", "2024-05-01", "20240501T0900Z",
        "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "", " ", "\u3000", "a\x00b", "\ud800", "é" * 101,
        "a\tb", "\x85", "..", "A/./1", "v1.2/...",
        "12.345", "1e3", "NaN", "-0.5",
    ]
)  # fmt: skip
# Around every length limit (40, 100, 200), in ASCII and not.
texts = st.one_of(
    st.text(max_size=4),
    *(st.text(alphabet=alphabet, min_size=n - 2, max_size=n + 2) for n in (40, 100, 200) for alphabet in ("ab", "aé ")),
)
times = st.sampled_from(
    ["2024-05-01T09:00:00Z", "2024-05-01T09:00:00.5+05:30", "2024-05-01T09:00:00", "2024-05-01", "x"]
)
values = st.one_of(
    plausible,
    texts,
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dictionaries(st.text(max_size=4), st.integers() | st.text(max_size=4) | st.floats(), max_size=3),
    st.lists(st.integers(), max_size=2),
)
required = st.fixed_dictionaries(
    {"customer": plausible | texts, "kind": st.sampled_from(["purchase", "contact"]) | texts, "occurred_at": times}
)
# Mostly items with the required fields, which the fast path may accept; some with anything.
with_required = st.builds(
    lambda base, extra: {**base, **extra}, required, st.dictionaries(st.sampled_from(FIELDS), values, max_size=2)
)
items = st.one_of(with_required, with_required, with_required, st.dictionaries(st.sampled_from(FIELDS), values), values)


@pytest.fixture
def vocabularies(db):
    vocabulary_cache_clear()
    return {name: vocabulary_keys(vocabulary=name) for name in ("channel", "team", "category")}


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(item=items)
def test_the_fast_path_agrees_with_the_schema(vocabularies, item):
    errors: list[dict] = []
    slow = SIGNAL_ITEM.validate(item, errors=errors)
    fast = signal_item_clean_fast(item, vocabularies=vocabularies)

    if fast is not None:
        assert slow == fast, (item, errors)
    assert (slow is None) == bool(errors)


def test_a_plain_valid_item_takes_the_fast_path(vocabularies):
    item = {
        "customer": "M-1",
        "kind": "contact",
        "occurred_at": "2024-05-01T09:00:00+02:00",
        "direction": "out",
        "channel": "email",
        "payload": {"campaign": "spring"},
    }

    fast = signal_item_clean_fast(item, vocabularies=vocabularies)

    assert fast == SIGNAL_ITEM.validate(item, errors=[])
    assert json.loads(fast["payload"]) == {"campaign": "spring"}  # JSON text, stored as jsonb
