"""Listeners that queue work for a worker: new signals (cxcore's hook) queue the re-evaluation of their
customers, and a full run recorded by the runs' services is queued for a worker to carry out."""

from __future__ import annotations

from django.db import transaction

from .runs.tasks import reevaluate_all, reevaluate_changed


def queue_reevaluation(sender, *, customer_ids: list[int], **kwargs) -> None:
    """The ingest marked these customers dirty; one incremental run picks up all of them.

    The task claims dirty customers itself, so a burst of ingests queuing several runs costs
    a few empty claims, never a customer evaluated twice at once (on SQLite, which cannot lock a
    customer, two runs may work one out side by side; only the first to finish writes it).
    """
    if customer_ids:
        transaction.on_commit(reevaluate_changed.delay)


def queue_full_run(sender, *, run_id: int, **kwargs) -> None:
    """The runs' services recorded a full run (queued from the console, or stalled and resumed), committed."""
    reevaluate_all.delay(run_id)
