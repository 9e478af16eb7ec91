"""A hot read (cxcore.db.HotQuery: the token's lookup, the decision's customer) checks the connection a request
kept by running, instead of after Django's SELECT 1: a request of the decision API makes one round trip fewer,
and a connection the server dropped meanwhile is still replaced, not failed on."""

from __future__ import annotations

import pytest
from django.db import connection, connections

from cxcore.authentication import token_for_key
from cxcore.models import Customer
from membrane.decisions.selectors import decision_inputs_read

# Skipped before the database is set up, and serialized_rollback: a transactional test's flush at its end must
# not leave the later tests (which reload the seeded rows) without them.
pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the health check and the prepared hot statements are PostgreSQL's"
    ),
]


@pytest.fixture
def checks(monkeypatch):
    """The SELECT 1 health checks run (Django's is_usable)."""
    if connection.vendor != "postgresql":
        pytest.skip("the health check and the prepared hot statements are PostgreSQL's")
    counted = []
    wrapper = connections["default"]
    usable = type(wrapper).is_usable

    def is_usable(self):
        counted.append(self.alias)
        return usable(self)

    monkeypatch.setattr(type(wrapper), "is_usable", is_usable)
    monkeypatch.setattr(wrapper, "health_check_enabled", True)
    return counted


def _new_request() -> None:
    # What request_started does (close_old_connections): the kept connection is to be checked again.
    connection.close_if_unusable_or_obsolete()


def _backend() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_the_read_is_the_check(checks, make_token):
    Customer.objects.create(external_id="C1")
    key = make_token("decide")
    for _ in range(3):
        _new_request()
        assert decision_inputs_read(external_id="C1").customer.external_id == "C1"
        assert token_for_key(key) is not None
    assert checks == []
    # A statement that is not a hot read still checks, as Django does.
    _new_request()
    assert Customer.objects.filter(external_id="C1").exists()
    assert checks == ["default"]


def test_a_connection_the_server_dropped_is_replaced(checks):
    Customer.objects.create(external_id="C1")
    for _ in range(2):
        dropped = _backend()
        other = connection.copy()
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [dropped])
        finally:
            other.close()
        _new_request()

        assert decision_inputs_read(external_id="C1").customer.external_id == "C1"
        assert _backend() != dropped
