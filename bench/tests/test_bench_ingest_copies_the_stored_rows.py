"""`bench ingest` measures its COPY baseline on the very rows the API stored for the same items."""

from __future__ import annotations

import json

import pytest

from bench.ingest_rows import copy_rows, generate
from cxcore.ingest import signals_ingest
from cxcore.ingest_storage import INGEST_COLUMNS
from cxcore.models import Signal

COMPARED = [column for column in INGEST_COLUMNS if column != "received_at"]


def _by_key(rows) -> dict[str, dict]:
    values = [dict(zip(COMPARED, row, strict=True)) for row in rows]
    for value in values:
        if isinstance(value["payload"], str):
            value["payload"] = json.loads(value["payload"])
    return {value["idempotency_key"]: value for value in values}


@pytest.mark.django_db
def test_the_copied_rows_are_the_stored_rows():
    generated = generate(n=60, tag="bench-rows", run=1, seed=3)
    signals_ingest(items=generated.items, source="bench-rows")

    copied = [row[:7] + row[8:] for row in copy_rows(generated, source="bench-rows")]
    stored = Signal.objects.filter(source="bench-rows").values_list(*COMPARED)

    assert _by_key(copied) == _by_key(stored)
