"""The incremental run's own commits do not wait for the WAL flush (PostgreSQL, outside a caller's transaction),
and the connection's setting is as it was after the run, also after a run that failed; inside a caller's
transaction the caller's setting holds."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

import membrane.runs.services
from cxcore.models import CustomerChange
from membrane.models import CustomerStage, EvaluationRun
from membrane.runs.services import stages_evaluate_changed

from .stage_helpers import DAY, NOW, ingest

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="synchronous_commit is PostgreSQL's")


def _setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


def _recording(monkeypatch) -> list[str]:
    seen = []
    bring_up = membrane.runs.services.bring_up_locked

    def recording(**kwargs):
        seen.append(_setting())
        return bring_up(**kwargs)

    monkeypatch.setattr(membrane.runs.services, "bring_up_locked", recording)
    return seen


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_run_commits_without_waiting_and_restores_the_setting(monkeypatch):
    ingest("A1", "account_created", NOW - 30 * DAY)
    ingest("A1", "complaint", NOW - DAY)
    before = _setting()
    seen = _recording(monkeypatch)

    run = stages_evaluate_changed(at=NOW)

    assert seen == ["off"]
    assert _setting() == before
    assert run.customers == 1 and run.outcome == "succeeded" and run.finished_at is not None
    assert CustomerStage.objects.get(customer__external_id="A1").evaluated_through == NOW
    assert not CustomerChange.objects.exists()

    ingest("A1", "complaint", NOW)

    def failing(**kwargs):
        raise RuntimeError("worker stopped")

    monkeypatch.setattr(membrane.runs.services, "bring_up_locked", failing)
    with pytest.raises(RuntimeError):
        stages_evaluate_changed(at=NOW + DAY)
    assert _setting() == before
    assert EvaluationRun.objects.order_by("-pk").first().outcome == "failed"
    # The failed batch rolled back with the changes it took: still queued for the next run.
    assert CustomerChange.objects.filter(customer__external_id="A1").exists()


@pytest.mark.django_db
def test_inside_a_callers_transaction_the_callers_setting_holds(monkeypatch):
    ingest("B1", "account_created", NOW - 30 * DAY)
    before = _setting()
    seen = _recording(monkeypatch)

    with transaction.atomic():
        stages_evaluate_changed(at=NOW)

    assert seen == [before]
