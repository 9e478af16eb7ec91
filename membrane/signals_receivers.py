"""Listeners that queue work for a worker: new signals (cxcore's hook) queue the re-evaluation of their
customers, and a full run recorded by the runs' services is queued for a worker to carry out."""

from __future__ import annotations

import logging
import time

from django.db import transaction

from .runs.tasks import reevaluate_all, reevaluate_changed

logger = logging.getLogger(__name__)

# After a failed queueing (the broker is down) this process does not try again for a while: the customers
# are marked changed in the database and beat's round picks them up, so an ingest need not pay the
# publish's retries (0.65 s a batch, measured by the broker-outage test) each time.
BROKER_RETRY_AFTER_S = 5.0
_broker_failed_at = float("-inf")


def _queue_changed() -> None:
    global _broker_failed_at
    if time.monotonic() - _broker_failed_at < BROKER_RETRY_AFTER_S:
        logger.warning("The broker was unavailable moments ago: the changed customers wait for beat's round.")
        return
    try:
        reevaluate_changed.delay()
    except Exception:
        _broker_failed_at = time.monotonic()
        raise


def queue_reevaluation(sender, *, customer_ids: list[int], **kwargs) -> None:
    """The ingest marked these customers dirty; one incremental run picks up all of them.

    The task claims dirty customers itself, so a burst of ingests queuing several runs costs
    a few empty claims, never a customer evaluated twice at once (on SQLite, which cannot lock a
    customer, two runs may work one out side by side; only the first to finish writes it).
    """
    if customer_ids:
        transaction.on_commit(_queue_changed)


def queue_full_run(sender, *, run_id: int, **kwargs) -> None:
    """The runs' services recorded a full run (queued from the console, or stalled and resumed), committed."""
    reevaluate_all.delay(run_id)
