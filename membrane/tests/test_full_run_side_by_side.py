"""A full run's chunks side by side, each on a connection of its own (PostgreSQL): they store exactly what
chunks run in turn store, and a run interrupted with chunks done out of order resumes with the others."""

from __future__ import annotations

import random
import threading

import pytest
from django.db import connection

import membrane.runs.services
from cxcore.models import CustomerFacts
from membrane.models import CustomerStage, StageTransition
from membrane.runs.services import evaluation_run_start, stages_evaluate_all

from .stage_helpers import NOW, stored_history
from .test_stage_set_based_agreement import random_customer

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="other connections see only committed rows: PostgreSQL only"
)


EVALUATE_RANGE = membrane.runs.services.stages_evaluate_range


def forget() -> None:
    StageTransition.objects.all().delete()
    CustomerStage.objects.all().delete()
    CustomerFacts.objects.all().delete()


def population() -> None:
    rng = random.Random(20261126)
    for n in range(23):
        random_customer(rng, f"s{n}", horizon_days=rng.choice([20, 200]))


def chunk_threads(monkeypatch, *, fail_from_id: int | None = None) -> dict[int, str]:
    """Records which thread evaluated each chunk (by its first id); the chunk starting at fail_from_id fails."""
    threads: dict[int, str] = {}

    def recording(**kwargs):
        threads[kwargs["lo"]] = threading.current_thread().name
        if kwargs["lo"] == fail_from_id:
            raise RuntimeError("worker killed")
        return EVALUATE_RANGE(**kwargs)

    monkeypatch.setattr(membrane.runs.services, "stages_evaluate_range", recording)
    return threads


# Committed for real, so the chunks' connections see them; the seeded stage rules are restored after.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_chunks_side_by_side_store_what_chunks_in_turn_store(monkeypatch, settings):
    population()
    assert not connection.in_atomic_block
    settings.EVALUATION_CONNECTIONS = 1
    in_turn = stages_evaluate_all(as_of=NOW, chunk_size=5)
    expected = stored_history()
    forget()

    settings.EVALUATION_CONNECTIONS = 3
    threads = chunk_threads(monkeypatch)
    side_by_side = stages_evaluate_all(as_of=NOW, chunk_size=5)

    assert stored_history() == expected
    assert len(expected[0]) >= 23 and len({stage for _, stage, *_ in expected[1]}) > 1
    assert len(threads) == 5 and len(set(threads.values())) == 3
    assert all(name.startswith("full-run") for name in threads.values())
    for run in (in_turn, side_by_side):
        assert (run.outcome, run.customers, run.chunks_done, sorted(run.done_chunks)) == (
            "succeeded",
            23,
            5,
            [0, 1, 2, 3, 4],
        )
    assert side_by_side.transitions == in_turn.transitions == len(expected[0])


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_run_whose_second_chunk_failed_resumes_with_the_chunks_not_done(monkeypatch, settings):
    population()
    settings.EVALUATION_CONNECTIONS = 2
    stages_evaluate_all(as_of=NOW, chunk_size=5)
    uninterrupted = stored_history()
    forget()

    run = evaluation_run_start(as_of=NOW, chunk_size=5)
    second = run.first_id + 5
    chunk_threads(monkeypatch, fail_from_id=second)
    with pytest.raises(RuntimeError, match="worker killed"):
        stages_evaluate_all(run=run)
    run.refresh_from_db()
    assert run.outcome == "failed" and "worker killed" in run.error
    assert 0 in run.done_chunks and 1 not in run.done_chunks
    assert run.chunks_done == len(run.done_chunks) < 5
    done_before = set(run.done_chunks)

    resumed = chunk_threads(monkeypatch)
    stages_evaluate_all(run=run)
    run.refresh_from_db()

    assert stored_history() == uninterrupted
    # Only the chunks not committed were evaluated again, and each counted once.
    first_ids = {run.first_id + 5 * k for k in range(5) if k not in done_before}
    assert set(resumed) == first_ids
    assert (run.outcome, run.chunks_done, run.customers, run.transitions) == (
        "succeeded",
        5,
        23,
        len(uninterrupted[0]),
    )
