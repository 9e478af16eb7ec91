"""Hooks other apps listen to, so that cxcore never imports them (dependencies point one way)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after the transaction that stored new signals has committed.
# kwargs: customer_ids (list[int]): the customers that got at least one new signal.
# membrane listens to queue their re-evaluation.
signals_ingested = Signal()

# Sent by load_demo once the demo customers and their signals are stored, so the apps above add their demo
# data (journeys: the departments' campaigns) without cxcore naming them.
# kwargs: now (datetime): the demo's "now". A receiver returns a line saying what it added (or None).
demo_loaded = Signal()
