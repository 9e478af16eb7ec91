"""Reads of the stored facts, for the expression compiler and the pages."""

from __future__ import annotations

from .catalogue import CXCORE_FACTS


def fact_columns(*, prefix: str = "facts__") -> dict[str, str]:
    """The CustomerFacts field holding each cxcore fact, as a lookup path from Customer (prefix "facts__").

    Pass prefix="" for paths on a CustomerFacts queryset. Only the stored rows of the last
    `facts_compute_all` run are read: the caller makes sure they are as of the time it needs.
    """
    return {fact.name: f"{prefix}{fact.name}" for fact in CXCORE_FACTS}
