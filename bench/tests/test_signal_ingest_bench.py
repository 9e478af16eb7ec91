"""`bench ingest` is found by the bench framework and refuses a database it does not measure."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from bench.registry import discover


def test_bench_ingest_is_registered():
    assert "ingest" in discover()


@pytest.mark.django_db
def test_bench_ingest_refuses_sqlite_with_a_clear_message():
    if connection.vendor != "sqlite":
        pytest.skip("the refusal is of SQLite; run ./manage.py bench ingest itself on PostgreSQL")
    with pytest.raises(CommandError, match="DATABASE_URL=postgres"):
        call_command("bench", "ingest", "--signals", "10", "--runs", "1")
