"""Property: the facts at T from a checkpoint of the history up to S (advanced any number of times, stored and
read back) and the signals after S equal the facts over the whole history, at every T >= S."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from cxcore.facts.checkpoint import checkpoint_dump, checkpoint_fold, checkpoint_load, facts_from_checkpoint
from cxcore.facts.folds import OCCURRED_AT
from cxcore.facts.per_customer import facts_for_customer
from cxcore.facts.standing import standing_dump, standing_facts, standing_load, standing_of

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
US = dt.timedelta(microseconds=1)
KINDS = [
    "ticket_opened",
    "ticket_reopened",
    "ticket_resolved",
    "ticket_eta_given",
    "complaint",
    "purchase",
    "survey_response",
    "contact",
    "note",
]
# Offsets in days from T0, with the windows' edges (7, 30, 90 days) a microsecond either side likely.
EDGES = [dt.timedelta(days=d) + j for d in (0, 7, 30, 90, 91, 200) for j in (-US, dt.timedelta(0), US)]
offsets = st.one_of(
    st.sampled_from(EDGES),
    st.integers(min_value=0, max_value=400).map(lambda d: dt.timedelta(days=d)),
    st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=400)),
)
signals = st.builds(
    lambda kind, offset, direction, ref, issue, severity, score, scale: (
        kind,
        direction,
        T0 + offset,
        ref,
        issue,
        severity,
        score,
        scale,
    ),
    st.sampled_from(KINDS),
    offsets,
    st.sampled_from(["in", "out"]),
    st.sampled_from(["", "A", "B", "C"]),
    st.sampled_from(["", "wifi", "power"]),
    st.sampled_from(["", "low", "high"]),
    st.one_of(st.none(), st.decimals(min_value=-1, max_value=12, places=2)),
    st.one_of(st.none(), st.sampled_from([0, 5, 10])),
)
customers = st.builds(
    lambda created, segment, ltv: SimpleNamespace(
        created_at=T0 + created, segment=segment, region="", lifetime_value=ltv
    ),
    offsets,
    st.sampled_from(["", "smb"]),
    st.decimals(min_value=0, max_value=10**6, places=2),
)


def _full(customer, rows, at):
    return facts_for_customer(customer=customer, at=at, rows=[row for row in rows if row[OCCURRED_AT] <= at])


@settings(max_examples=400, deadline=None)
@given(
    customer=customers,
    rows=st.lists(signals, max_size=40),
    stops=st.lists(offsets, min_size=1, max_size=4),
    later=st.lists(offsets.map(abs), min_size=1, max_size=4),
)
def test_checkpoint_and_later_signals_give_the_facts_of_the_whole_history(customer, rows, stops, later):
    checkpoint = None
    for stop in sorted(stops):
        s = T0 + stop
        if checkpoint is not None and s < checkpoint.as_of:
            continue
        start = None if checkpoint is None else checkpoint.as_of
        after = [row for row in rows if row[OCCURRED_AT] <= s and (start is None or row[OCCURRED_AT] > start)]
        checkpoint = checkpoint_fold(after, at=s, since=checkpoint)
        # Stored and read back, as the event-time path keeps it.
        checkpoint = checkpoint_load(checkpoint_dump(checkpoint), as_of=s)
        for step in later:
            at = s + step
            newer = [row for row in rows if row[OCCURRED_AT] > s]
            assert facts_from_checkpoint(customer=customer, checkpoint=checkpoint, rows=newer, at=at) == _full(
                customer, rows, at
            ), (s, at)
            # With nothing new up to `at`, the standing of the facts at S gives them until a count expires.
            standing = standing_load(standing_dump(standing_of(checkpoint)), as_of=s)
            if standing.holds(at) and not any(row[OCCURRED_AT] <= at for row in newer):
                assert standing_facts(customer=customer, standing=standing, at=at) == _full(customer, rows, at)


def test_a_checkpoint_keeps_only_what_the_windows_hold():
    """Five years of daily signals leave a checkpoint of the last windows' signals, not of the history."""
    customer = SimpleNamespace(created_at=T0, segment="", region="", lifetime_value=Decimal(0))
    rows = []
    for day in range(5 * 365):
        at = T0 + dt.timedelta(days=day, hours=9)
        ref = f"T{day}"
        rows += [
            ("purchase", "in", at, "", "", "", None, None),
            ("contact", "out", at, "", "", "", None, None),
            ("ticket_opened", "in", at, ref, "wifi", "high" if day % 10 == 0 else "", None, None),
            ("ticket_resolved", "in", at + dt.timedelta(hours=2), ref, "", "", None, None),
        ]
    end = rows[-1][OCCURRED_AT]
    checkpoint = checkpoint_fold(rows, at=end)
    # Purchases of 90 days, contacts of 7, the tickets opened on an issue in 90 days, and the first signal.
    assert len(checkpoint.rows) < 400
    assert facts_from_checkpoint(customer=customer, checkpoint=checkpoint, rows=[], at=end) == _full(
        customer, rows, end
    )
