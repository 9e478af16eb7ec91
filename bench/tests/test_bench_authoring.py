"""`bench authoring` runs end to end on a small population: its match count equals the bare SQL count, and it
ends with one JSON line of medians and ratios."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection

from bench.registry import discover


def test_bench_authoring_is_registered():
    assert "authoring" in discover()


@pytest.mark.django_db
def test_bench_authoring_runs_small():
    if connection.vendor != "postgresql":
        pytest.skip("bench authoring measures PostgreSQL")
    out = io.StringIO()

    call_command("bench", "authoring", "--customers", "300", "--repeat", "1", "--in-place", stdout=out)

    lines = out.getvalue().strip().splitlines()
    summary = json.loads(lines[-1])
    assert summary["bench"] == "authoring"
    assert summary["customers"] == 300
    assert summary["principles"] == 50
    assert summary["match_count_s"] > 0 and summary["impact_s"] > 0
    assert any(line.strip().startswith("live match count") for line in lines)
