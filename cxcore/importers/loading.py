"""Loads profiles and API-shaped signals through the services the API uses.

So an import validates and deduplicates exactly as an integration's batches would: a second run
stores nothing twice, and the counts say so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count

from cxcore.ingest import MAX_BATCH, signals_ingest
from cxcore.models import Signal
from cxcore.services import customer_upsert


@dataclass
class LoadReport:
    customers_created: int = 0
    customers_updated: int = 0
    stored: Counter[str] = field(default_factory=Counter)
    duplicates: Counter[str] = field(default_factory=Counter)

    def lines(self) -> list[str]:
        kinds = sorted(set(self.stored) | set(self.duplicates))
        width = max([len(kind) for kind in kinds] + [5])
        rows = [kind_line(kind, width, self.stored[kind], self.duplicates[kind]) for kind in kinds]
        return rows + [kind_line("total", width, self.stored.total(), self.duplicates.total())]


def kind_line(kind: str, width: int, stored: int, duplicates: int) -> str:
    return f"  {kind:<{width}}  {stored:>7,} stored  {duplicates:>7,} duplicates"


def _counts_by_kind(source: str) -> Counter[str]:
    rows = Signal.objects.filter(source=source).values_list("kind").annotate(n=Count("id")).order_by()
    return Counter(dict(rows))


def population_load(
    *,
    customers: list[dict],
    signals: list[dict],
    source: str,
    progress: Callable[[str], None] | None = None,
) -> LoadReport:
    """Upserts every profile, then ingests the signals in batches the API accepts.

    The batches hold whole customers' histories (items sorted by customer), so each touches few
    customers. The stored count per kind is the difference of the source's signals before and
    after; that assumes nobody else writes signals of this source meanwhile, and is checked
    against the services' own totals.
    """
    report = LoadReport()
    for start in range(0, len(customers), MAX_BATCH):
        # One commit per thousand profiles, not one each: on SQLite every commit is a disk sync.
        with transaction.atomic():
            for profile in customers[start : start + MAX_BATCH]:
                data = dict(profile)
                _, created = customer_upsert(external_id=data.pop("external_id"), data=data)
                if created:
                    report.customers_created += 1
                else:
                    report.customers_updated += 1
        if progress:
            progress(f"{min(start + MAX_BATCH, len(customers)):,} customers upserted")

    before = _counts_by_kind(source)
    ordered = sorted(signals, key=lambda item: item["customer"])
    accepted = 0
    for start in range(0, len(ordered), MAX_BATCH):
        accepted += signals_ingest(items=ordered[start : start + MAX_BATCH], source=source).accepted
        if progress and (start // MAX_BATCH) % 10 == 9:
            progress(f"{start + MAX_BATCH:,} of {len(ordered):,} signals sent")
    after = _counts_by_kind(source)
    sent = Counter(item["kind"] for item in signals)
    for kind in sent:
        report.stored[kind] = after[kind] - before[kind]
        report.duplicates[kind] = sent[kind] - report.stored[kind]
    if report.stored.total() != accepted:
        raise RuntimeError(f"Another writer stored {source!r} signals meanwhile: counts per kind are unreliable.")
    return report
