"""The browser tests' live server answers each request on a thread of its own, and each must have its own
database connection, as the console's web workers do.

pytest-django hands an in-memory SQLite connection to every live-server thread (an in-memory database lives
only in the connection that made it). Two requests at once, a page and its poll, then share one
transaction: CI failed on "on_commit() cannot be used in manual transaction management" when one request
queued a task while another was inside an atomic block. The SQLite test database is therefore a file.
"""

from __future__ import annotations

import pytest
from django.db import connections


@pytest.mark.django_db
def test_no_test_database_is_in_memory():
    in_memory = [alias for alias in connections if getattr(connections[alias], "is_in_memory_db", lambda: False)()]
    assert in_memory == []
