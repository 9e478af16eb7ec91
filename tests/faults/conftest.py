"""The fault tests' own PostgreSQL server."""

from __future__ import annotations

import pytest
from django.db import connection

from .servers import PostgresCluster


@pytest.fixture
def cluster():
    if connection.vendor != "postgresql":
        pytest.skip(
            "starts a PostgreSQL of its own, so it runs against none of the suite's: once, on the PostgreSQL leg"
        )
    cluster = PostgresCluster()
    try:
        cluster.create()
        yield cluster
    finally:
        cluster.destroy()
