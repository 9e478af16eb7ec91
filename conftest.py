"""Named personas (STYLE.md): every view is tried by the right person, an outsider and a read-only role."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from cxcore.factories import make_user
from cxcore.models import ApiToken


@pytest.fixture(autouse=True)
def _fresh_rate_counters():
    """Rate limits and login failures are counted in the cache, which outlives a test's database: ids
    reused by the next test would inherit its counts."""
    cache.clear()


@pytest.fixture
def cx_manager(db):
    return make_user("carla", role="cx_manager", team="cx")


@pytest.fixture
def service_manager(db):
    return make_user("sven", role="cx_manager", team="service")


@pytest.fixture
def agent(db):
    return make_user("anna", role="agent", team="service")


@pytest.fixture
def marketer(db):
    return make_user("mark", role="marketer", team="marketing_devices")


@pytest.fixture
def services_marketer(db):
    return make_user("mona", role="marketer", team="marketing_services")


@pytest.fixture
def outsider(db):
    return make_user("otto", role=None, team=None)


@pytest.fixture
def make_token(db):
    def make(*scopes: str, name: str = "test-integration") -> str:
        key = ApiToken.generate_key()
        ApiToken.objects.create(name=name, key_hash=ApiToken.hash_key(key), prefix=key[:8], scopes=list(scopes))
        return key

    return make


@pytest.fixture
def api(client):
    """A Django test client speaking JSON with a bearer token: api(token).post(url, data)."""

    class Api:
        def __init__(self, token: str | None):
            self.headers = {"Authorization": f"Bearer {token}"} if token else {}

        def post(self, url, data=None, raw=None):
            body = raw if raw is not None else data
            return client.post(url, body, content_type="application/json", headers=self.headers)

        def put(self, url, data):
            return client.put(url, data, content_type="application/json", headers=self.headers)

        def get(self, url, **params):
            return client.get(url, params, headers=self.headers)

    return Api


@pytest.fixture(scope="session", autouse=True)
def _close_stray_connections(django_db_setup, django_db_blocker):
    """Before the test database is dropped, end the sessions that threads of the suite left open
    (the live server's, a browser test's), or PostgreSQL refuses the drop and the database stays behind."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
