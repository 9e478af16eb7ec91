"""Listeners of cxcore's hooks: new signals queue the re-evaluation of their customers."""

from __future__ import annotations

from django.db import transaction


def queue_reevaluation(sender, *, customer_ids: list[int], **kwargs) -> None:
    """The ingest marked these customers dirty; one incremental run picks up all of them.

    The task claims dirty customers itself, so a burst of ingests queuing several runs costs
    a few empty claims, never a customer evaluated twice at once (on SQLite, which cannot lock a
    customer, two runs may work one out side by side; only the first to finish writes it).
    """
    from .tasks import reevaluate_changed

    if customer_ids:
        transaction.on_commit(reevaluate_changed.delay)
