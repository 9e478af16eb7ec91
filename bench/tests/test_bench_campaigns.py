"""`bench campaigns` runs end to end on a small population: the preview's audience equals the bare join's (the
bench refuses to report otherwise), and it ends with one JSON line of medians and the ratio."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection

from bench.registry import discover


def test_bench_campaigns_is_registered():
    assert "campaigns" in discover()


@pytest.mark.django_db
def test_bench_campaigns_runs_small():
    if connection.vendor != "postgresql":
        pytest.skip("bench campaigns measures PostgreSQL")
    out = io.StringIO()

    call_command("bench", "campaigns", "--customers", "300", "--repeat", "1", "--in-place", stdout=out)

    lines = out.getvalue().strip().splitlines()
    summary = json.loads(lines[-1])
    assert summary["bench"] == "campaigns"
    assert summary["customers"] == summary["audience"] == 300
    assert summary["principles"] == 50
    assert summary["preview_s"] > 0 and summary["bare_join_s"] > 0
    assert any(line.strip().startswith("suppression preview") for line in lines)
