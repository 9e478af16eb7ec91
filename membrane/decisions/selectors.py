"""Reads on the decision path, shaped so that a decision costs as few round trips as possible."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from cxcore.models import Customer

from .engine import ruleset_stamp_subquery


def _customers() -> QuerySet[Customer]:
    # The published set's stamp rides along with the customer: the compiled-rules cache is checked
    # without a query of its own, and exactly as fresh as before (read at the start of the decision).
    return Customer.objects.annotate(ruleset_stamp=ruleset_stamp_subquery())


def customer_for_decision(*, external_id: str) -> Customer | None:
    """The customer a question names, or None; carries `ruleset_stamp` for decision_make."""
    return _customers().filter(external_id=external_id).first()


def customers_for_decisions(*, external_ids: Iterable[str]) -> dict[str, Customer]:
    """The customers of a batch by external id (unknown ones missing), each carrying `ruleset_stamp`."""
    return {c.external_id: c for c in _customers().filter(external_id__in=set(external_ids))}
