"""A database that does not answer is a 503 saying so, with Retry-After, for the API and the console alike, where
it fails (the token's lookup, the session, a view); any other error stays a 500 (tests/faults restarts a real
PostgreSQL under a running gunicorn)."""

from __future__ import annotations

import pytest
from django.db import InterfaceError, OperationalError
from django.urls import reverse

import cxcore.api_customers
import cxcore.views
from cxcore.models import Customer
from cxcore.views_errors import DATABASE_UNAVAILABLE

GONE = OperationalError('connection failed: server closed the connection unexpectedly; secret "db-host-7"')


@pytest.fixture
def failing_client(client):
    client.raise_request_exception = False
    return client


def fail(error: Exception):
    def raising(*args, **kwargs):
        raise error

    return raising


@pytest.mark.parametrize("error", [GONE, InterfaceError("connection already closed")])
def test_the_api_answers_503_with_its_error_shape(failing_client, make_token, monkeypatch, error):
    Customer.objects.create(external_id="C1")
    monkeypatch.setattr(cxcore.api_customers, "customer_360", fail(error))

    response = failing_client.get("/api/v1/customers/C1", headers={"Authorization": f"Bearer {make_token('read')}"})

    assert response.status_code == 503
    assert response.json() == {"detail": DATABASE_UNAVAILABLE}
    assert response["Retry-After"] == "5"


def test_a_token_that_cannot_be_looked_up_is_a_503_not_a_401(failing_client, make_token, monkeypatch):
    token = make_token("read")
    monkeypatch.setattr("cxcore.authentication.BearerTokenAuthentication.authenticate", fail(GONE))

    response = failing_client.get("/api/v1/stages", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 503
    assert response.json() == {"detail": DATABASE_UNAVAILABLE}


def test_a_page_whose_session_cannot_be_read_is_the_503_page(failing_client, cx_manager, monkeypatch):
    failing_client.force_login(cx_manager)
    monkeypatch.setattr("django.contrib.auth.middleware.get_user", fail(GONE))

    response = failing_client.get(reverse("customers") + "?q=ann")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    html = response.content.decode()
    assert "<h1>The database is not answering</h1>" in html and DATABASE_UNAVAILABLE in html
    assert 'nav class="sidenav"' in html and 'href="/customers/?q=ann"' in html
    assert "db-host-7" not in html and "OperationalError" not in html and "Traceback" not in html


def test_a_view_failing_on_the_database_is_the_503_page_and_the_log_keeps_the_error(
    failing_client, cx_manager, monkeypatch, caplog
):
    monkeypatch.setattr(cxcore.views, "dashboard_panels", fail(GONE))
    failing_client.force_login(cx_manager)

    response = failing_client.get(reverse("dashboard"))

    assert response.status_code == 503
    assert "db-host-7" not in response.content.decode()
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.exc_info[0] is OperationalError and "db-host-7" in str(record.exc_info[1])


def test_any_other_error_is_still_a_500(failing_client, cx_manager, monkeypatch):
    monkeypatch.setattr(cxcore.views, "dashboard_panels", fail(RuntimeError("not the database")))
    failing_client.force_login(cx_manager)

    response = failing_client.get(reverse("dashboard"))

    assert response.status_code == 500
    assert "Retry-After" not in response
