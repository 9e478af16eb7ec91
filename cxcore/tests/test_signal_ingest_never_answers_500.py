"""Whatever the body, the signals endpoint answers 201 or 400, never a 500."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

URL = "/api/v1/signals"
FIELDS = [
    "customer", "kind", "occurred_at", "idempotency_key", "source", "direction", "channel", "team", "category",
    "ticket_ref", "issue_key", "severity", "eta", "amount", "score", "scale", "payload", "colour",
]  # fmt: skip

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.sampled_from(["2024-05-01T09:00:00Z", "2024-05-01T09:00:00", "0001-01-01T00:00:00+14:00", "email", "high"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
items = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=8)
bodies = st.one_of(
    json_values,
    st.fixed_dictionaries({"signals": st.lists(items, max_size=5)}),
    st.fixed_dictionaries({"signals": json_values}),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_any_json_body_is_answered_201_or_400(api, make_token, body):
    response = api(make_token("ingest")).post(URL, body)

    assert response.status_code in (201, 400), (body, response.content)
    if response.status_code == 400:
        assert response.json()["detail"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200))
def test_any_bytes_are_answered_201_or_400(api, make_token, raw):
    response = api(make_token("ingest")).post(URL, raw=raw)

    assert response.status_code in (201, 400)
